//! The domain's string-coded enums as database values: stored as their wire code
//! (TEXT on both backends), decoded through the same parser as every other edge, so a
//! row carries `Outcome`, `Role`, `BeneficiaryStatus` … instead of a `String`.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Postgres, Sqlite, Type};

use crate::domain::{
    AssignmentStatus, BeneficiaryStatus, EscalationKind, EscalationStatus, ImportBatchKind,
    ImportBatchStatus, ImportKind, NeedCategory, OrganisationKind, OutboxKind, OutboxStatus,
    Outcome, PlacementBasis, PlacementState, RelayTarget, Role, Urgency, VolunteerOrigin,
};

/// Implements `Type`, `Encode` and `Decode` for one backend and each coded enum.
macro_rules! stored_as_code {
    ($db:ty => $($t:ty),+ $(,)?) => {$(
        impl Type<$db> for $t {
            fn type_info() -> <$db as Database>::TypeInfo {
                <str as Type<$db>>::type_info()
            }

            fn compatible(ty: &<$db as Database>::TypeInfo) -> bool {
                <str as Type<$db>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, $db> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <&'q str as Encode<'q, $db>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> Decode<'r, $db> for $t {
            fn decode(value: <$db as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let code = <&str as Decode<'r, $db>>::decode(value)?;
                Ok(<$t>::parse(code)?)
            }
        }
    )+};
}

macro_rules! stored_codes {
    ($($t:ty),+ $(,)?) => {
        stored_as_code!(Sqlite => $($t),+);
        stored_as_code!(Postgres => $($t),+);
    };
}

stored_codes!(
    AssignmentStatus,
    BeneficiaryStatus,
    EscalationKind,
    EscalationStatus,
    ImportBatchKind,
    ImportBatchStatus,
    ImportKind,
    NeedCategory,
    OutboxKind,
    OutboxStatus,
    Outcome,
    RelayTarget,
    Role,
    Urgency,
    OrganisationKind,
    VolunteerOrigin,
    PlacementState,
    PlacementBasis,
);
