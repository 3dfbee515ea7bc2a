//! Which weeks of a campaign may be planned: from the week of its first day to the week
//! of its last, every `cadence_weeks` weeks counted from the first week, and never once
//! the campaign is archived. A pure rule, used by the store (`lien plan`) and the
//! planning page.

use chrono::NaiveDate;

use crate::domain::IsoWeek;

/// What the rule needs to know of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignWeeks {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    /// Call each person every N weeks (1 = every week).
    pub cadence_weeks: u32,
    pub archived: bool,
}

/// Why a week may not be planned. `Display` is English; [`WeekRefusal::message_fr`]
/// says it in French. Each sentence names the campaign, the week and the weeks allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekRefusal {
    #[error("the campaign {campaign} is archived: week {week} cannot be planned; unarchive the campaign first")]
    Archived { campaign: String, week: IsoWeek },
    #[error("the campaign {campaign} starts on {starts_on}: week {week} comes before it; the first week that may be planned is {first}")]
    BeforeStart {
        campaign: String,
        week: IsoWeek,
        starts_on: NaiveDate,
        first: IsoWeek,
    },
    #[error("the campaign {campaign} ended on {ends_on}: week {week} comes after it; the last week that could be planned is {}", last_text(.last, false))]
    AfterEnd {
        campaign: String,
        week: IsoWeek,
        ends_on: NaiveDate,
        last: Option<IsoWeek>,
    },
    #[error("the campaign {campaign} calls every {cadence} weeks counted from week {first}: week {week} is off its cadence; the next week that may be planned is {}", last_text(.next, false))]
    OffCadence {
        campaign: String,
        week: IsoWeek,
        cadence: u32,
        first: IsoWeek,
        next: Option<IsoWeek>,
    },
}

fn last_text(week: &Option<IsoWeek>, french: bool) -> String {
    match (week, french) {
        (Some(w), _) => w.to_string(),
        (None, false) => "none (the campaign has ended)".into(),
        (None, true) => "aucune (la campagne est terminée)".into(),
    }
}

impl WeekRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            WeekRefusal::Archived { .. } => "campaign_archived",
            WeekRefusal::BeforeStart { .. } => "week_before_start",
            WeekRefusal::AfterEnd { .. } => "week_after_end",
            WeekRefusal::OffCadence { .. } => "week_off_cadence",
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            WeekRefusal::Archived { campaign, week } => format!(
                "La campagne {campaign} est archivée : la semaine {week} ne peut pas être planifiée ; désarchivez d'abord la campagne."
            ),
            WeekRefusal::BeforeStart {
                campaign,
                week,
                starts_on,
                first,
            } => format!(
                "La campagne {campaign} commence le {} : la semaine {week} la précède ; la première semaine qui peut être planifiée est {first}.",
                starts_on.format("%d/%m/%Y")
            ),
            WeekRefusal::AfterEnd {
                campaign,
                week,
                ends_on,
                last,
            } => format!(
                "La campagne {campaign} s'est terminée le {} : la semaine {week} vient après ; la dernière semaine qui pouvait être planifiée est {}.",
                ends_on.format("%d/%m/%Y"),
                last_text(last, true)
            ),
            WeekRefusal::OffCadence {
                campaign,
                week,
                cadence,
                first,
                next,
            } => format!(
                "La campagne {campaign} appelle toutes les {cadence} semaines à compter de la semaine {first} : la semaine {week} est hors cadence ; la prochaine semaine qui peut être planifiée est {}.",
                last_text(next, true)
            ),
        }
    }
}

impl CampaignWeeks {
    /// The week of the first day.
    pub fn first_week(&self) -> IsoWeek {
        IsoWeek::from_date(self.starts_on)
    }

    fn cadence(&self) -> i64 {
        i64::from(self.cadence_weeks.max(1))
    }

    fn on_cadence(&self, week: IsoWeek) -> bool {
        self.first_week()
            .weeks_until(week)
            .rem_euclid(self.cadence())
            == 0
    }

    fn within_end(&self, week: IsoWeek) -> bool {
        self.ends_on
            .is_none_or(|end| week <= IsoWeek::from_date(end))
    }

    /// The first week from `from` on (included) that may be planned, if any.
    pub fn next_plannable(&self, from: IsoWeek) -> Option<IsoWeek> {
        let first = self.first_week();
        let start = from.max(first);
        let behind = first.weeks_until(start).rem_euclid(self.cadence());
        let step = if behind == 0 {
            0
        } else {
            self.cadence() - behind
        };
        start.offset(step).filter(|w| self.within_end(*w))
    }

    /// The last week that may be planned, when the campaign has an end.
    pub fn last_plannable(&self) -> Option<IsoWeek> {
        let end = IsoWeek::from_date(self.ends_on?);
        let first = self.first_week();
        if end < first {
            return None;
        }
        let over = first.weeks_until(end).rem_euclid(self.cadence());
        end.offset(-over)
    }

    /// May `week` be planned? If not, why, and which weeks may.
    pub fn check(&self, week: IsoWeek) -> Result<(), WeekRefusal> {
        let campaign = self.name.clone();
        if self.archived {
            return Err(WeekRefusal::Archived { campaign, week });
        }
        let first = self.first_week();
        if week < first {
            return Err(WeekRefusal::BeforeStart {
                campaign,
                week,
                starts_on: self.starts_on,
                first,
            });
        }
        if let Some(ends_on) = self.ends_on.filter(|_| !self.within_end(week)) {
            return Err(WeekRefusal::AfterEnd {
                campaign,
                week,
                ends_on,
                last: self.last_plannable(),
            });
        }
        if !self.on_cadence(week) {
            return Err(WeekRefusal::OffCadence {
                campaign,
                week,
                cadence: self.cadence_weeks,
                first,
                next: self.next_plannable(week),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> IsoWeek {
        IsoWeek::parse(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Starts Wednesday 2026-06-17 (week 25), ends Sunday 2026-08-16 (week 33).
    fn heatwave(cadence: u32) -> CampaignWeeks {
        CampaignWeeks {
            name: "canicule".into(),
            starts_on: d("2026-06-17"),
            ends_on: Some(d("2026-08-16")),
            cadence_weeks: cadence,
            archived: false,
        }
    }

    #[test]
    fn every_week_between_the_dates_may_be_planned() {
        let c = heatwave(1);
        assert_eq!(c.check(w("2026-W25")), Ok(()));
        assert_eq!(c.check(w("2026-W29")), Ok(()));
        assert_eq!(c.check(w("2026-W33")), Ok(()));
    }

    #[test]
    fn a_week_before_the_start_names_the_first_week() {
        let refusal = heatwave(1).check(w("2026-W24")).unwrap_err();
        assert_eq!(refusal.code(), "week_before_start");
        let fr = refusal.message_fr();
        assert!(fr.contains("canicule") && fr.contains("2026-W24"), "{fr}");
        assert!(fr.contains("2026-W25"), "{fr}");
        assert!(refusal
            .to_string()
            .contains("first week that may be planned is 2026-W25"));
    }

    #[test]
    fn a_week_after_the_end_names_the_last_week() {
        let refusal = heatwave(2).check(w("2026-W34")).unwrap_err();
        assert_eq!(refusal.code(), "week_after_end");
        // W25, W27 … W33 are on cadence: W33 is the last.
        assert!(refusal.message_fr().contains("2026-W33"));
        let refusal = heatwave(3).check(w("2026-W40")).unwrap_err();
        // W25, W28, W31: W31 is the last.
        assert!(refusal.to_string().contains("2026-W31"), "{refusal}");
    }

    #[test]
    fn cadence_counts_weeks_from_the_start_week() {
        let c = heatwave(2);
        assert_eq!(c.check(w("2026-W27")), Ok(()));
        let refusal = c.check(w("2026-W26")).unwrap_err();
        assert_eq!(refusal.code(), "week_off_cadence");
        assert!(refusal.message_fr().contains("2026-W27"));
        assert!(refusal.to_string().contains("every 2 weeks"));
        // Off cadence with no plannable week left before the end.
        let refusal = heatwave(3).check(w("2026-W32")).unwrap_err();
        assert!(refusal.message_fr().contains("aucune"), "{refusal:?}");
    }

    #[test]
    fn cadence_crosses_the_year() {
        let c = CampaignWeeks {
            name: "hebdo".into(),
            starts_on: d("2026-12-21"), // 2026-W52
            ends_on: None,
            cadence_weeks: 2,
            archived: false,
        };
        // 2026 has 53 ISO weeks: W52, then 2027-W01 (two weeks later).
        assert_eq!(c.check(w("2027-W01")), Ok(()));
        assert!(c.check(w("2026-W53")).is_err());
        assert_eq!(c.next_plannable(w("2026-W53")), Some(w("2027-W01")));
    }

    #[test]
    fn an_archived_campaign_refuses_every_week() {
        let mut c = heatwave(1);
        c.archived = true;
        let refusal = c.check(w("2026-W26")).unwrap_err();
        assert_eq!(refusal.code(), "campaign_archived");
        assert!(refusal.message_fr().contains("désarchivez"));
    }

    #[test]
    fn next_and_last_plannable() {
        let c = heatwave(2);
        assert_eq!(c.next_plannable(w("2026-W01")), Some(w("2026-W25")));
        assert_eq!(c.next_plannable(w("2026-W28")), Some(w("2026-W29")));
        assert_eq!(c.next_plannable(w("2026-W34")), None);
        assert_eq!(c.last_plannable(), Some(w("2026-W33")));
        let open = CampaignWeeks {
            ends_on: None,
            ..heatwave(1)
        };
        assert_eq!(open.last_plannable(), None);
        assert_eq!(open.check(w("2030-W10")), Ok(()));
    }
}
