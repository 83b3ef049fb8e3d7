//! Text that cannot write into anyone's terminal, and holds nothing invisible.

use std::borrow::Cow;

use unicode_properties::{GeneralCategory, UnicodeEmoji, UnicodeGeneralCategory};
use unicode_security::skeleton;

/// ZERO WIDTH JOINER: kept only where it joins two emoji into one picture.
const ZWJ: char = '\u{200D}';

/// Makes `text` safe to print on another user's terminal, with nothing hidden in it.
///
/// - C0 controls (tab aside) and DEL are shown in caret notation: ESC becomes `^[`, CR `^M`,
///   DEL `^?`. So `ESC[2J` arrives as the harmless text `^[[2J`.
/// - C1 controls (U+0080 to U+009F) and the Unicode bidi controls (U+061C, U+200E, U+200F,
///   U+202A to U+202E, U+2066 to U+2069) and line/paragraph separators (U+2028, U+2029) become
///   U+FFFD, the replacement character.
/// - Every other invisible character (format characters such as U+200B,
///   U+FFF9 to U+FFFB, U+13430 to U+1343F and the tag characters U+E0000 to U+E007F, and every
///   other Default_Ignorable_Code_Point) is removed, with two exceptions that only change how
///   the character before them is drawn: a zero width joiner between two emoji (👨‍👩‍👧 stays
///   one picture) and one variation selector right after a visible character (❤️).
///
/// Text with nothing to change is returned as it is, without a copy.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_care) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut before = Before::Nothing;
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(c),
            '\u{7F}' => out.push_str("^?"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            c if is_replaced(c) => out.push(char::REPLACEMENT_CHARACTER),
            c if is_invisible(c) => {
                let keep = match c {
                    ZWJ => {
                        matches!(before, Before::Emoji | Before::EmojiSelected)
                            && chars.peek().is_some_and(|&next| is_emoji(next))
                    }
                    c if is_variation_selector(c) => matches!(before, Before::Visible | Before::Emoji),
                    _ => false,
                };
                if keep {
                    out.push(c);
                    // A selector after an emoji may still be followed by a joiner (❤️‍🔥).
                    before = match (c, before) {
                        (ZWJ, _) => Before::Nothing,
                        (_, Before::Emoji) => Before::EmojiSelected,
                        _ => Before::Nothing,
                    };
                }
                continue;
            }
            c => out.push(c),
        }
        before = if is_emoji(c) { Before::Emoji } else { Before::Visible };
    }
    Cow::Owned(out)
}

/// What the last character kept was, for the two invisible characters kept after some.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Before {
    /// Nothing, or an invisible character, or a control shown another way.
    Nothing,
    /// A visible character that is not an emoji.
    Visible,
    /// An emoji (a joiner may follow).
    Emoji,
    /// An emoji and its variation selector (a joiner may still follow, another selector not).
    EmojiSelected,
}

/// Whether [`sanitize`] may change `c`: a control, or a character that is replaced or
/// invisible.
pub(crate) fn needs_care(c: char) -> bool {
    (c.is_control() && c != '\t') || (!c.is_ascii() && (is_replaced(c) || is_invisible(c)))
}

/// The characters shown as U+FFFD: C1 controls, bidi controls, line and paragraph separators.
fn is_replaced(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `c` is drawn as nothing: a format character (general category Cf) or a
/// Default_Ignorable_Code_Point. The latter are exactly the characters the UTS #39 skeleton
/// leaves out, so `unicode-security` decides them with its own table.
pub(crate) fn is_invisible(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    if c.general_category() == GeneralCategory::Format {
        return true;
    }
    let mut utf8 = [0; 4];
    skeleton(c.encode_utf8(&mut utf8)).next().is_none()
}

/// U+FE00 to U+FE0F and U+E0100 to U+E01EF: pick how the character before them is drawn.
pub(crate) fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// An emoji that a joiner may glue to another (ASCII digits, `#` and `*` are emoji too, as
/// keycap bases, but never joined).
fn is_emoji(c: char) -> bool {
    !c.is_ascii() && c.is_emoji_char()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(sanitize("\x1b[2Jhi"), "^[[2Jhi");
        assert_eq!(sanitize("a\rb\x7f"), "a^Mb^?");
        assert_eq!(sanitize("\u{9b}31m"), "\u{fffd}31m");
    }

    #[test]
    fn bidi_overrides_are_replaced() {
        assert_eq!(sanitize("abc\u{202e}def"), "abc\u{fffd}def");
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("héllo\tworld 日本語"), Cow::Borrowed(_)));
    }

    #[test]
    fn invisible_characters_are_removed() {
        assert_eq!(sanitize("a\u{200B}b\u{FFF9}c\u{FFFA}d\u{FFFB}e"), "abcde");
        assert_eq!(sanitize("x\u{13430}\u{13438}\u{1343F}y"), "xy");
        assert_eq!(sanitize("hi\u{E0001}\u{E0068}\u{E0069}\u{E007F}"), "hi");
        assert_eq!(sanitize("\u{AD}soft\u{2060}\u{FEFF}\u{3164}\u{115F}"), "soft");
        assert_eq!(sanitize("a\u{FE0F}\u{FE0F}\u{E0100}b"), "a\u{FE0F}b");
        assert_eq!(sanitize("\u{FE0F}start"), "start");
        assert_eq!(sanitize("1\u{200D}2 a\u{200D}b"), "12 ab");
    }

    #[test]
    fn emoji_sequences_stay_whole() {
        for emoji in ["👨\u{200D}👩\u{200D}👧", "❤\u{FE0F}", "❤\u{FE0F}\u{200D}🔥", "👩🏽\u{200D}💻"]
        {
            assert_eq!(sanitize(emoji), emoji, "{emoji:?}");
        }
    }
}
