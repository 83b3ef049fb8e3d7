//! Trust on first use, as ssh does it: what the user is told and asked when a server's
//! certificate is new to us, or has changed.

use std::io::{self, BufRead, Write};
use std::path::Path;

use anyhow::{Context as _, bail};
use chat_transport::Fingerprint;

use super::known_hosts::{self, KnownHosts, Lookup};

/// What may decide about a certificate seen for the first time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstUse {
    /// Ask on the terminal (y/N).
    Ask,
    /// Trust it (`--accept-new`).
    Accept,
    /// Refuse it (no terminal to ask on, no `--accept-new`).
    Refuse,
}

/// A certificate no authority vouches for was shown by `target`: tell the user its
/// `fingerprint` and `why`, and remember it in `file` if they trust it (or `first_use` says
/// to). Ok: remembered, connect again; Err: the user's answer, or why it was refused.
pub fn first_use(
    target: &str,
    fingerprint: &Fingerprint,
    why: &str,
    file: Option<&Path>,
    first_use: FirstUse,
) -> anyhow::Result<()> {
    eprintln!("The certificate of chat server {target} is not trusted yet: {why}.");
    eprintln!("Its SHA-256 fingerprint is {fingerprint}.");
    let Some(file) = file else {
        bail!(
            "Not connected to {target}: there is no file to remember certificates in (no home directory); \
             set {} to one, or pin this certificate with --fingerprint {fingerprint} once you have checked it",
            known_hosts::ENV
        );
    };
    match first_use {
        FirstUse::Refuse => bail!(
            "Not connected to {target}: its certificate is unknown. Check the fingerprint above with the \
             server's operator (`chat serve --tls-self-signed` prints it), then run again with \
             --fingerprint {fingerprint} (or with --accept-new to trust what the server shows the first time)"
        ),
        FirstUse::Ask => {
            eprintln!("Compare it with the fingerprint the server's operator gives you.");
            eprint!("Trust it and remember it in {}? [y/N] ", file.display());
            io::stderr().flush().ok();
            let mut answer = String::new();
            io::stdin().lock().read_line(&mut answer).context("could not read your answer")?;
            if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
                bail!("Not connected to {target}: its certificate was not trusted");
            }
        }
        FirstUse::Accept => {}
    }
    remember(target, fingerprint, file)
}

/// After connecting with a pinned `fingerprint`: remembers it in `file` when the server has no
/// line there yet, so that the next connection needs no pin.
pub fn remember_pinned(target: &str, fingerprint: &Fingerprint, file: Option<&Path>) -> anyhow::Result<()> {
    let Some(file) = file else { return Ok(()) };
    let known = KnownHosts::load(file).with_context(|| format!("could not read {}", file.display()))?;
    match known.lookup(target, fingerprint) {
        Lookup::Unknown => remember(target, fingerprint, file),
        Lookup::Known => Ok(()),
        Lookup::Changed { line, .. } => {
            eprintln!(
                "Note: line {line} of {} remembers another certificate for {target}; remove it if the pinned one replaced it.",
                file.display()
            );
            Ok(())
        }
    }
}

fn remember(target: &str, fingerprint: &Fingerprint, file: &Path) -> anyhow::Result<()> {
    known_hosts::remember(file, target, fingerprint)
        .with_context(|| format!("could not remember the certificate in {}", file.display()))?;
    eprintln!("Remembered {fingerprint} for {target} in {}.", file.display());
    Ok(())
}

/// The warning shown when a server's certificate is not the one remembered: `line` of `file`
/// remembers `known` for `target`, which now shows `fingerprint`.
pub fn changed_warning(
    target: &str,
    fingerprint: &Fingerprint,
    known: &Fingerprint,
    file: &Path,
    line: usize,
) -> String {
    let rule = "@".repeat(59);
    format!(
        "{rule}\n\
         @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
         {rule}\n\
         IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n\
         Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n\
         It is also possible that the server's certificate has just been changed.\n\
         The certificate chat server {target} sent has the SHA-256 fingerprint\n    {fingerprint}\n\
         but line {line} of {file} remembers\n    {known}\n\
         If you know the new certificate is right, remove line {line} of {file}\n\
         and connect again (you will be asked to trust the new one).",
        file = file.display()
    )
}
