//! The catalog's closed vocabularies (category, unit, storage, statuses,
//! availability), stored as text and exchanged as snake_case strings.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }
    };
}

text_enum!(
    /// What kind of produce or goods a product is.
    Category {
        Strawberry => "strawberry",
        Tea => "tea",
        Zongzi => "zongzi",
        Umbrella => "umbrella",
        Specialty => "specialty",
        Other => "other",
    }
);

text_enum!(
    /// The selling unit of a SKU (jin = 500 g).
    Unit {
        Jin => "jin",
        Gram => "gram",
        Box => "box",
        Pack => "pack",
        Tin => "tin",
        Piece => "piece",
    }
);

text_enum!(
    /// How a product must be kept.
    Storage {
        Ambient => "ambient",
        Chilled => "chilled",
        Frozen => "frozen",
    }
);

text_enum!(
    /// Only `active` products are shown and sold.
    ProductStatus {
        Draft => "draft",
        Active => "active",
        Archived => "archived",
    }
);

text_enum!(
    /// Only `active` SKUs are shown and sold.
    SkuStatus {
        Active => "active",
        Inactive => "inactive",
    }
);

text_enum!(
    /// What a shopper is told about stock: `low` at or below the workshop's threshold.
    Availability {
        InStock => "in_stock",
        Low => "low",
        SoldOut => "sold_out",
    }
);

text_enum!(
    /// Why a manager changes stock by hand.
    AdjustmentKind {
        CountCorrection => "count_correction",
        Spoilage => "spoilage",
    }
);

/// For PATCH bodies: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Replaces `field` when a PATCH body carried a value for it.
pub fn patch<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

text_enum!(
    /// Why a SKU's on-hand figure moved: each movement row is append-only.
    MovementKind {
        Receipt => "receipt",
        Adjustment => "adjustment",
        Spoilage => "spoilage",
        Sale => "sale",
        Return => "return",
    }
);
