//! The two macros the value types of the domain crates share: [`string_newtype!`] for
//! parsed strings, `wire_names!` for enums with a name per variant.

/// Implements what every parsed string type of tenantry has, for a type `$type` that
/// keeps its text in the `String` field `$field` and has its own
/// `fn parse(&str) -> Result<Self, $error>`:
///
/// - `as_str` and `into_string` (the text as `parse` kept it);
/// - `Display` and `AsRef<str>` (the text);
/// - `FromStr`, `TryFrom<&str>` and `TryFrom<String>` (through `parse`);
/// - `From<$type> for String`.
///
/// The type declares `#[serde(try_from = "String", into = "String")]` itself, so serde
/// writes the text and reads through `parse`, with the error's `Display` as the message.
///
/// ```
/// use serde::{Deserialize, Serialize};
///
/// /// A text of at most three characters.
/// #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// #[serde(try_from = "String", into = "String")]
/// pub struct Short(String);
///
/// impl Short {
///     /// Refuses more than three characters.
///     pub fn parse(text: &str) -> Result<Self, String> {
///         match text.chars().count() {
///             0..=3 => Ok(Self(text.to_owned())),
///             _ => Err(format!("{text:?} is too long")),
///         }
///     }
/// }
///
/// tenantry_tenant::string_newtype!(Short, 0, String);
///
/// let short: Short = "abc".parse()?;
/// assert_eq!((short.as_str(), short.to_string()), ("abc", "abc".to_owned()));
/// assert_eq!(serde_json::to_string(&short)?, r#""abc""#);
/// let error = serde_json::from_str::<Short>(r#""abcd""#).unwrap_err();
/// assert_eq!(error.to_string(), r#""abcd" is too long"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! string_newtype {
    ($type:ident, $field:tt, $error:ty) => {
        impl $type {
            /// The text, as [`parse`](Self::parse) kept it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.$field
            }

            /// Consumes the value, returning its text.
            #[must_use]
            pub fn into_string(self) -> ::std::string::String {
                self.$field
            }
        }

        impl ::std::fmt::Display for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.$field)
            }
        }

        impl ::std::convert::AsRef<str> for $type {
            fn as_ref(&self) -> &str {
                &self.$field
            }
        }

        impl ::std::str::FromStr for $type {
            type Err = $error;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl ::std::convert::TryFrom<&str> for $type {
            type Error = $error;

            fn try_from(text: &str) -> ::std::result::Result<Self, Self::Error> {
                Self::parse(text)
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for $type {
            type Error = $error;

            fn try_from(text: ::std::string::String) -> ::std::result::Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl ::std::convert::From<$type> for ::std::string::String {
            fn from(value: $type) -> Self {
                value.$field
            }
        }
    };
}

/// Declares an enum of unit variants, each with its name on the wire (`Variant =>
/// "name"`), and generates from that one list:
///
/// - `const ALL`, every variant in the order declared, so no list can miss one;
/// - the method `$name(self) -> &'static str` giving a variant's name;
/// - `Display`, writing that name.
///
/// The doc comments of `ALL` and of the method come first:
///
/// ```text
/// wire_names! {
///     /// Every colour, from warm to cold.
///     const ALL;
///     /// The colour's name.
///     fn as_str;
///
///     /// A colour.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Colour {
///         /// Warm.
///         Red => "red",
///         /// Cold.
///         Blue => "blue",
///     }
/// }
/// ```
macro_rules! wire_names {
    (
        $(#[$all_meta:meta])*
        const ALL;
        $(#[$name_meta:meta])*
        fn $name:ident;

        $(#[$meta:meta])*
        $vis:vis enum $enum:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident => $wire:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $enum {
            $(
                $(#[$variant_meta])*
                $variant,
            )+
        }

        impl $enum {
            $(#[$all_meta])*
            pub const ALL: [$enum; [$($wire),+].len()] = [$($enum::$variant),+];

            $(#[$name_meta])*
            pub fn $name(self) -> &'static str {
                match self {
                    $($enum::$variant => $wire,)+
                }
            }
        }

        impl ::std::fmt::Display for $enum {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.$name())
            }
        }
    };
}

pub(crate) use wire_names;

#[cfg(test)]
mod tests {
    wire_names! {
        /// Both colours.
        const ALL;
        /// The colour's name.
        fn name;

        /// A colour.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Colour {
            /// Warm.
            Red => "red",
            /// Cold.
            Blue => "light-blue",
        }
    }

    #[test]
    fn one_list_gives_all_names_and_display() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::Blue]);
        assert_eq!(Colour::Blue.name(), "light-blue");
        assert_eq!(Colour::Red.to_string(), "red");
    }
}
