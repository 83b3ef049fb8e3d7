//! Inputs the fuzz targets in `fuzz/` found to break the core, kept as plain tests so that
//! `cargo test` guards the fixes without the fuzzer.

use chat_core::protocol::{Nick, NickError};

/// `fuzz/command`, input `/nick \u{FFF2}`: a name made of a character that shows as nothing
/// (U+FFF2 is a reserved default-ignorable code point) was accepted, so someone could chat
/// under an invisible name.
#[test]
fn a_name_that_shows_as_nothing_is_refused() {
    assert_eq!(Nick::parse("\u{FFF2}", 24).unwrap_err(), NickError::BadChar('\u{FFF2}'));
    for blank in ['\u{3164}', '\u{115F}', '\u{FFA0}', '\u{034F}', '\u{180E}', '\u{2061}', '\u{E0041}'] {
        let name = format!("bob{blank}");
        assert_eq!(Nick::parse(&name, 24).unwrap_err(), NickError::BadChar(blank), "{name:?}");
    }
}

/// Found while fixing the above: U+2800 BRAILLE PATTERN BLANK looks like a space, which names
/// may not hold.
#[test]
fn a_name_that_looks_like_it_has_a_space_is_refused() {
    assert_eq!(Nick::parse("bob\u{2800}smith", 24).unwrap_err(), NickError::BadChar('\u{2800}'));
}

/// The fix must not refuse visible names, nor the variation selector of an emoji.
#[test]
fn visible_names_are_still_accepted() {
    for name in ["zoë_99", "Ünïcödé", "日本語", "ノブ", "\u{2764}\u{FE0F}", "e\u{301}", "a%b", "Ωmega"]
    {
        assert_eq!(Nick::parse(name, 24).map(|nick| nick.as_str().to_owned()), Ok(name.to_owned()));
    }
}
