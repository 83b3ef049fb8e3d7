//! [`both_runtimes!`](crate::both_runtimes): one scenario, one test per runtime.

/// Turns scenario functions `fn(Runtime)` into a module per scenario with the tests `on_smol`
/// and `on_std`, so `cargo test join_notices` runs both and `cargo test on_std` runs one
/// runtime.
///
/// A scenario written `same name` is sequential: it returns a [`Transcript`](crate::Transcript)
/// which must be the same on both runtimes (see
/// [`check_same_on_both`](crate::transcript::check_same_on_both)).
///
/// ```text
/// both_runtimes!(same join_notices, burst_delivery);
/// ```
#[macro_export]
macro_rules! both_runtimes {
    () => {};
    (same $scenario:ident $(, $($rest:tt)*)?) => {
        mod $scenario {
            #[test]
            fn on_smol() {
                $crate::both_runtimes!(@same $scenario, Smol);
            }
            #[test]
            fn on_std() {
                $crate::both_runtimes!(@same $scenario, Std);
            }
        }
        $crate::both_runtimes!($($($rest)*)?);
    };
    ($scenario:ident $(, $($rest:tt)*)?) => {
        mod $scenario {
            #[test]
            fn on_smol() {
                super::$scenario($crate::Runtime::Smol);
            }
            #[test]
            fn on_std() {
                super::$scenario($crate::Runtime::Std);
            }
        }
        $crate::both_runtimes!($($($rest)*)?);
    };
    (@same $scenario:ident, $runtime:ident) => {
        $crate::transcript::check_same_on_both(
            module_path!(),
            $crate::Runtime::$runtime,
            super::$scenario($crate::Runtime::$runtime),
        )
    };
}
