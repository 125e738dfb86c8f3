//! Server text made safe for a terminal: the one rule every printed answer passes through.

/// Most characters of one piece of server text shown.
pub const MAX_TEXT: usize = 300;

/// Server text made safe for one terminal line: control characters become spaces, runs of
/// spaces collapse, and very long text is cut.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_TEXT));
    let mut last_space = false;
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if out.chars().count() >= MAX_TEXT {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out.trim().to_owned()
}
