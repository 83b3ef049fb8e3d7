//! Text that cannot write into anyone's terminal.

use std::borrow::Cow;

/// Makes `text` safe to print on another user's terminal.
///
/// - C0 controls (tab aside) and DEL are shown in caret notation: ESC becomes `^[`, CR `^M`,
///   DEL `^?`. So `ESC[2J` arrives as the harmless text `^[[2J`.
/// - C1 controls (U+0080 to U+009F) and the Unicode bidi controls (U+061C, U+200E, U+200F,
///   U+202A to U+202E, U+2066 to U+2069) and line/paragraph separators (U+2028, U+2029) become
///   U+FFFD, the replacement character.
///
/// Text with nothing to replace is returned as it is, without a copy.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_replacing) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_safe(&mut out, c);
    }
    Cow::Owned(out)
}

/// Whether [`sanitize`] would change `c`.
pub(crate) fn needs_replacing(c: char) -> bool {
    (c.is_control() && c != '\t') || is_invisible_format(c)
}

fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

fn push_safe(out: &mut String, c: char) {
    match c {
        '\t' => out.push(c),
        '\u{7F}' => out.push_str("^?"),
        c if (c as u32) < 0x20 => {
            out.push('^');
            out.push(char::from(b'@' + c as u8));
        }
        c if needs_replacing(c) => out.push(char::REPLACEMENT_CHARACTER),
        c => out.push(c),
    }
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
        assert!(matches!(sanitize("héllo\tworld"), Cow::Borrowed(_)));
    }
}
