//! The Origin check of the WebSocket upgrade, against cross-site WebSocket hijacking: a page
//! from another site must not be able to chat in the visitor's name.

use super::OriginPolicy;

/// True if a page from `origin` may open the WebSocket of a request sent to `host`.
/// A request without an `Origin` header does not come from a browser page and is allowed.
pub(crate) fn allowed(policy: &OriginPolicy, origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    match policy {
        OriginPolicy::SameHost => {
            let (Some((scheme, authority)), Some(host)) = (split(origin), host) else { return false };
            normalize(&scheme, &authority) == normalize(&scheme, &host.to_ascii_lowercase())
        }
        OriginPolicy::List(list) => {
            let Some((scheme, authority)) = split(origin) else { return false };
            list.iter().any(|allowed| {
                split(allowed.trim_end_matches('/')).is_some_and(|(allowed_scheme, allowed_authority)| {
                    allowed_scheme == scheme
                        && normalize(&scheme, &allowed_authority) == normalize(&scheme, &authority)
                })
            })
        }
    }
}

/// `https://Host:443` as (`https`, `host:443`), lower-cased; `None` for `null` or a
/// non-web origin.
fn split(origin: &str) -> Option<(String, String)> {
    let origin = origin.trim().to_ascii_lowercase();
    let (scheme, authority) = origin.split_once("://")?;
    if !matches!(scheme, "http" | "https") || authority.is_empty() || authority.contains('/') {
        return None;
    }
    Some((scheme.to_owned(), authority.to_owned()))
}

/// The authority without the scheme's default port.
fn normalize<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let default = if scheme == "https" { ":443" } else { ":80" };
    authority.strip_suffix(default).unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_host_allows_the_page_served_here_only() {
        let policy = OriginPolicy::SameHost;
        assert!(allowed(&policy, Some("http://127.0.0.1:8080"), Some("127.0.0.1:8080")));
        assert!(allowed(&policy, Some("https://Chat.Example.org"), Some("chat.example.org:443")));
        assert!(allowed(&policy, None, Some("chat.example.org")), "not a browser");
        assert!(!allowed(&policy, Some("http://evil.example"), Some("127.0.0.1:8080")));
        assert!(!allowed(&policy, Some("http://127.0.0.1:8081"), Some("127.0.0.1:8080")));
        assert!(!allowed(&policy, Some("null"), Some("127.0.0.1:8080")));
        assert!(!allowed(&policy, Some("http://127.0.0.1:8080"), None));
    }

    #[test]
    fn a_list_allows_exactly_its_origins() {
        let policy =
            OriginPolicy::List(vec!["https://chat.example.org/".into(), "http://localhost:3000".into()]);
        assert!(allowed(&policy, Some("https://chat.example.org"), Some("backend:8080")));
        assert!(allowed(&policy, Some("https://chat.example.org:443"), None));
        assert!(allowed(&policy, Some("http://LOCALHOST:3000"), None));
        assert!(!allowed(&policy, Some("http://chat.example.org"), None), "scheme matters");
        assert!(!allowed(&policy, Some("https://chat.example.org.evil.example"), None));
    }
}
