//! What the coordinator's week page reads from the database (issue 16): the campaign,
//! the week's totals with last week's, the data to fix, the territories' names and the
//! campaigns to choose from. About ten queries; kept for `Settings::week_figures_for`
//! (one second by default, see `web::kept`) per campaign, week and viewer, so that
//! coordinators reloading the page under load cost ten queries a second, not ten a
//! view. The page in the visitor's language is rendered from them on every request;
//! who may see the page is checked before (the handler's `CoordinatorOrAdmin`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::errors::AppError;
use super::kept::Kept;
use super::pages::{campaign_choices, CampaignChoice};
use super::session::CurrentUser;
use super::AppState;
use crate::domain::{CampaignName, IsoWeek, Role};
use crate::report::{DataQuality, WeekTotals};
use crate::store::{Campaign, Store};

/// The week page's data, whatever the language.
pub struct WeekFigures {
    pub campaign: Campaign,
    pub week: IsoWeek,
    pub totals: WeekTotals,
    pub quality: DataQuality,
    /// `(code, "code – name")` of every territory.
    pub territories: Vec<(String, String)>,
    pub campaigns: Vec<CampaignChoice>,
}

/// What the account may see of a campaign: its role and scope. Coordinators and admins
/// see every figure of every campaign today, so all of them share one entry per role;
/// if an account's scope ever narrows what it sees, it already has entries of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Viewer {
    role: Role,
    territory_id: Option<i64>,
    caller_id: Option<i64>,
    organisation_id: Option<i64>,
    volunteer_id: Option<i64>,
}

impl Viewer {
    pub fn of(user: &CurrentUser) -> Self {
        let u = &user.user;
        Self {
            role: u.role,
            territory_id: u.territory_id,
            caller_id: u.caller_id,
            organisation_id: u.organisation_id,
            volunteer_id: u.volunteer_id,
        }
    }
}

/// Everything that changes the figures: the campaign as named in the request, the week
/// and who looks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FiguresKey {
    pub campaign: CampaignName,
    pub week: IsoWeek,
    pub viewer: Viewer,
}

/// The figures of every key, each kept for the same lifetime; clones share them.
#[derive(Clone)]
pub struct WeekFiguresCache(Arc<Kept<FiguresKey, WeekFigures>>);

impl WeekFiguresCache {
    pub fn new(lifetime: Duration) -> Self {
        Self(Arc::new(Kept::new(lifetime)))
    }

    /// How stale the figures may be (zero: never kept).
    pub fn lifetime(&self) -> Duration {
        self.0.lifetime()
    }

    /// The figures of `key`: kept ones if younger than the lifetime, else read now.
    pub async fn get(&self, store: &Store, key: FiguresKey) -> Result<Arc<WeekFigures>, AppError> {
        let (name, week) = (key.campaign.clone(), key.week);
        self.0
            .get_or_try(key, Instant::now(), || read(store, name, week))
            .await
    }
}

/// Reads the figures from the database; the two weeks' totals on parallel connections.
async fn read(store: &Store, name: CampaignName, week: IsoWeek) -> Result<WeekFigures, AppError> {
    let campaign = store.campaign_by_name(&name).await?;
    let (totals, quality, territories, campaigns) = tokio::try_join!(
        async { Ok::<_, AppError>(store.week_totals(&campaign, week, Utc::now()).await?) },
        async { Ok(store.data_quality(campaign.id).await?) },
        territory_codes(store),
        campaign_choices(store),
    )?;
    Ok(WeekFigures {
        campaign,
        week,
        totals,
        quality,
        territories,
        campaigns,
    })
}

/// `(code, "code – name")` of every territory.
async fn territory_codes(store: &Store) -> Result<Vec<(String, String)>, AppError> {
    Ok(store
        .territory_names()
        .await?
        .into_values()
        .map(|label| {
            let code = label.split(" – ").next().unwrap_or("").to_string();
            (code, label)
        })
        .collect())
}

/// The figures a request for the week page asks for (`campaign` and `week` as given).
pub async fn for_request(
    state: &AppState,
    user: &CurrentUser,
    campaign: Option<&str>,
    week: Option<&str>,
) -> Result<Arc<WeekFigures>, AppError> {
    let key = FiguresKey {
        campaign: CampaignName::parse(campaign.unwrap_or(CampaignName::DEFAULT))
            .map_err(|e| AppError::BadRequest(e.to_string()))?,
        week: super::planning::parse_week(week)?,
        viewer: Viewer::of(user),
    };
    state.week_figures.get(&state.store, key).await
}
