//! Text for the screen. Values from the XML drawn safely: a control character in an attribute or
//! a model name must not move the cursor or change colours of the terminal we draw on. And text
//! that does not fit is wrapped where it reads well or cut visibly (`…`), never cut silently.
//!
//! Widths are terminal cells (a CJK character takes two), as ratatui counts them.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::borrow::Cow;

/// The mark of a cut.
pub const ELLIPSIS: &str = "…";

/// The most characters of one value the screen draws: more than any value's lines hold on the
/// widest terminal (the `-cpu` line wraps over at most 6 rows). What lies beyond is never looked
/// at, so a value of 60 MB on one line costs a frame what a short one costs.
pub const MAX_VISIBLE_CHARS: usize = 16 * 1024;

/// `s` with every control character, line break and invisible format character (bidi
/// overrides…) written visibly (`\t`, `\n`, `\u{1b}`), so the terminal never receives it raw —
/// the engine's [`crate::visible::one_line`], which the CLI uses too —; past
/// [`MAX_VISIBLE_CHARS`] it is cut, marked with `…`.
pub fn visible(s: &str) -> Cow<'_, str> {
    let cut = match s.len() > MAX_VISIBLE_CHARS {
        false => None,
        true => s.char_indices().nth(MAX_VISIBLE_CHARS).map(|(i, _)| i),
    };
    match cut {
        None => crate::visible::one_line(s),
        Some(i) => Cow::Owned(format!("{}{ELLIPSIS}", crate::visible::one_line(&s[..i]))),
    }
}

/// Cells `s` takes on the terminal.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    width(c.encode_utf8(&mut buf))
}

/// The longest start of `s` that fits in `cells`, and the rest.
fn split_at_width(s: &str, cells: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = char_width(c);
        if used + w > cells {
            return s.split_at(i);
        }
        used += w;
    }
    (s, "")
}

/// Cuts `s` to at most `width` cells, marking the cut with `…`.
pub fn clip(s: &str, width: usize) -> Cow<'_, str> {
    if self::width(s) <= width {
        return Cow::Borrowed(s);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let (kept, _) = split_at_width(s, width - 1);
    Cow::Owned(format!("{kept}{ELLIPSIS}"))
}

/// Cuts `s` to at most `width` cells keeping its end, marking the cut with a leading `…` (for
/// paths, whose file name matters most).
pub fn clip_start(s: &str, width: usize) -> Cow<'_, str> {
    if self::width(s) <= width {
        return Cow::Borrowed(s);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let mut used = 0;
    let mut start = s.len();
    for (i, c) in s.char_indices().rev() {
        let w = char_width(c);
        if used + w > width - 1 {
            break;
        }
        used += w;
        start = i;
    }
    Cow::Owned(format!("{ELLIPSIS}{}", &s[start..]))
}

/// Cuts `s` to at most `width` cells keeping its start and its end, marking the cut in the
/// middle with `…` (for a URI, whose scheme and socket's file name both say which host it is).
pub fn clip_middle(s: &str, width: usize) -> Cow<'_, str> {
    if self::width(s) <= width {
        return Cow::Borrowed(s);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let tail_cells = (width - 1) / 2;
    let (head, _) = split_at_width(s, width - 1 - tail_cells);
    let tail = clip_start(s, tail_cells + 1);
    // `clip_start` marks its own cut: its `…` is the one in the middle.
    Cow::Owned(format!("{head}{tail}"))
}

/// The first `width` cells of a line, and the style where it was cut.
fn cut_line(line: Line<'static>, width: usize) -> (Line<'static>, Style) {
    let Line {
        spans,
        style,
        alignment,
    } = line;
    let mut out = Vec::new();
    let mut room = width;
    let mut at = style;
    for span in spans {
        at = span.style;
        let w = span.width();
        if w <= room {
            room -= w;
            out.push(span);
            continue;
        }
        let (kept, _) = split_at_width(&span.content, room);
        if !kept.is_empty() {
            out.push(Span::styled(kept.to_string(), span.style));
        }
        break;
    }
    let line = Line {
        spans: out,
        style,
        alignment,
    };
    (line, at)
}

/// Cuts a line to at most `width` cells; a cut ends with `…` in the style of the cut span.
pub fn clip_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    if width == 0 {
        return cut_line(line, 0).0;
    }
    let (mut kept, at) = cut_line(line, width - 1);
    kept.spans.push(Span::styled(ELLIPSIS, at));
    kept
}

/// A run of styled text between two break opportunities.
struct Word {
    parts: Vec<(Style, String)>,
}

impl Word {
    fn width(&self) -> usize {
        self.parts.iter().map(|(_, s)| width(s)).sum()
    }

    /// Width without trailing spaces (which may hang past the edge: they are dropped there).
    fn core_width(&self) -> usize {
        let mut trailing = 0;
        for (_, s) in self.parts.iter().rev() {
            let t = s.len() - s.trim_end_matches(' ').len();
            trailing += t;
            if t < s.len() {
                break;
            }
        }
        self.width() - trailing
    }

    fn is_blank(&self) -> bool {
        self.parts.iter().all(|(_, s)| s.chars().all(|c| c == ' '))
    }
}

/// The words of `spans`: each ends just after a character for which `brk` holds.
fn words(spans: &[Span], brk: &dyn Fn(char) -> bool) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur = Word { parts: Vec::new() };
    for span in spans {
        let mut start = 0;
        let text = span.content.as_ref();
        for (i, c) in text.char_indices() {
            if brk(c) {
                let end = i + c.len_utf8();
                cur.parts.push((span.style, text[start..end].to_string()));
                out.push(std::mem::replace(&mut cur, Word { parts: Vec::new() }));
                start = end;
            }
        }
        if start < text.len() {
            cur.parts.push((span.style, text[start..].to_string()));
        }
    }
    if !cur.parts.is_empty() {
        out.push(cur);
    }
    out
}

/// Lines being filled by [`wrap`].
struct Filler {
    width: usize,
    indent: usize,
    trim: bool,
    lines: Vec<Line<'static>>,
    cur: Vec<Span<'static>>,
    used: usize,
}

impl Filler {
    /// Spaces a line starts with: the indent, after the first line, when it leaves room.
    fn start(&self) -> usize {
        if self.lines.is_empty() || self.indent >= self.width {
            0
        } else {
            self.indent
        }
    }

    fn room(&self) -> usize {
        self.width - self.start()
    }

    fn push(&mut self, style: Style, s: &str) {
        if s.is_empty() {
            return;
        }
        self.used += width(s);
        match self.cur.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(s),
            _ => self.cur.push(Span::styled(s.to_string(), style)),
        }
    }

    fn flush(&mut self) {
        let mut spans = std::mem::take(&mut self.cur);
        if self.trim {
            while let Some(last) = spans.last_mut() {
                let kept = last.content.trim_end_matches(' ').len();
                last.content.to_mut().truncate(kept);
                if !last.content.is_empty() {
                    break;
                }
                spans.pop();
            }
        }
        if self.start() > 0 {
            spans.insert(0, Span::raw(" ".repeat(self.start())));
        }
        self.lines.push(Line::from(spans));
        self.used = 0;
    }
}

/// Wraps styled text into lines of at most `width` cells, breaking only just after a character
/// for which `brk` holds (a space for prose, a comma for a `-cpu` value); a word wider than a
/// whole line is broken where it must. Lines after the first start with `indent` spaces. With
/// `brk(' ')`, spaces at a break are dropped.
pub fn wrap(
    spans: &[Span],
    width: usize,
    indent: usize,
    brk: &dyn Fn(char) -> bool,
) -> Vec<Line<'static>> {
    let mut f = Filler {
        width: width.max(1),
        indent,
        trim: brk(' '),
        lines: Vec::new(),
        cur: Vec::new(),
        used: 0,
    };
    for word in words(spans, brk) {
        if f.trim && f.used == 0 && !f.lines.is_empty() && word.is_blank() {
            continue;
        }
        let core = word.core_width();
        if f.used > 0 && f.used + core > f.room() {
            f.flush();
        }
        if f.used + core <= f.room() {
            for (style, s) in &word.parts {
                f.push(*style, s);
            }
            continue;
        }
        // Wider than a whole line: fill lines with as much as fits.
        for (style, s) in &word.parts {
            let mut rest = s.as_str();
            while !rest.is_empty() {
                let room = f.room() - f.used.min(f.room());
                let (now, later) = split_at_width(rest, room);
                if now.is_empty() {
                    if f.used == 0 {
                        // A character wider than the line: it goes alone.
                        let n = rest.chars().next().map_or(0, char::len_utf8);
                        f.push(*style, &rest[..n]);
                        rest = &rest[n..];
                    }
                    f.flush();
                    continue;
                }
                f.push(*style, now);
                rest = later;
                if !rest.is_empty() {
                    f.flush();
                }
            }
        }
    }
    if f.used > 0 || !f.cur.is_empty() || f.lines.is_empty() {
        f.flush();
    }
    f.lines
}

/// Where text the screen wraps may break: after a space (prose) or a comma (a `-cpu` value, a
/// list of features) — never inside a name or an option (`hv-relaxed=on` stays whole).
pub fn breaks(c: char) -> bool {
    c == ' ' || c == ','
}

/// [`wrap`] at [`breaks`]: for prose, `-cpu` values and feature lists alike (ratatui's own
/// wrapping breaks only at spaces, so a long `-cpu` would be cut inside an option).
pub fn wrap_words(spans: &[Span], width: usize, indent: usize) -> Vec<Line<'static>> {
    wrap(spans, width, indent, &breaks)
}

/// [`wrap_words`] of a whole line: its own style (`Line::styled`) carried onto each span.
pub fn wrap_line(line: &Line, width: usize, indent: usize) -> Vec<Line<'static>> {
    let spans: Vec<Span> = line
        .spans
        .iter()
        .map(|s| Span::styled(s.content.clone(), line.style.patch(s.style)))
        .collect();
    wrap_words(&spans, width, indent)
}

/// At most `max` of `lines`; when some are left out, the last one kept ends with `…` and then
/// `note` (what to do to see the rest), cut as needed to stay within `width` cells.
pub fn limit(
    mut lines: Vec<Line<'static>>,
    max: usize,
    width: usize,
    note: Option<Span<'static>>,
) -> Vec<Line<'static>> {
    if lines.len() <= max {
        return lines;
    }
    lines.truncate(max);
    let Some(last) = lines.pop() else {
        return lines;
    };
    // The note gives way on a line too narrow for it and some text.
    let note = note.filter(|n| n.width() + 2 <= width);
    let room = width.saturating_sub(note.as_ref().map_or(0, |n| n.width()) + 1);
    let (mut kept, at) = cut_line(last, room);
    kept.spans.push(Span::styled(ELLIPSIS, at));
    kept.spans.extend(note);
    lines.push(kept);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_value_is_cut_before_it_is_escaped() {
        let huge = format!("\u{1b}{}", "a".repeat(10_000_000));
        let v = visible(&huge);
        assert!(v.starts_with("\\u{1b}aaa"), "{}", &v[..20]);
        assert!(v.ends_with(ELLIPSIS));
        assert_eq!(v.chars().count(), MAX_VISIBLE_CHARS + "\\u{1b}".len());
        let plain = "b".repeat(MAX_VISIBLE_CHARS);
        assert!(matches!(visible(&plain), Cow::Borrowed(_)));
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    fn comma(c: char) -> bool {
        c == ','
    }

    fn space(c: char) -> bool {
        c == ' '
    }

    #[test]
    fn clipping_marks_the_cut() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(clip("abc", 0), "");
        // Wide characters count two cells.
        assert_eq!(clip("日本語", 4), "日…");
        assert_eq!(clip_start("dir/sub/file.xml", 10), "…/file.xml");
        assert_eq!(clip_start("file.xml", 10), "file.xml");
        assert_eq!(clip_middle("qemu+unix:///system", 10), "qemu+…stem");
        assert_eq!(clip_middle("qemu+unix:///system", 11), "qemu+…ystem");
        assert_eq!(clip_middle("short", 10), "short");
    }

    #[test]
    fn clipping_a_line_keeps_styles_and_marks_the_cut() {
        let l = Line::from(vec![
            Span::raw("model     "),
            Span::raw("Skylake-Client-IBRS"),
        ]);
        assert_eq!(
            clip_line(l.clone(), 29).to_string(),
            "model     Skylake-Client-IBRS"
        );
        assert_eq!(clip_line(l.clone(), 20).to_string(), "model     Skylake-C…");
        assert_eq!(clip_line(l.clone(), 10).to_string(), "model    …");
        assert_eq!(clip_line(l, 11).to_string(), "model     …");
    }

    #[test]
    fn a_cpu_value_wraps_between_options() {
        let v = [Span::raw("-cpu Skylake,hv-spinlocks=0x1fff,hv-time=on,x=1")];
        assert_eq!(
            texts(&wrap(&v, 20, 0, &comma)),
            ["-cpu Skylake,", "hv-spinlocks=0x1fff,", "hv-time=on,x=1"]
        );
        // An option wider than the line is broken inside, and only then.
        assert_eq!(
            texts(&wrap(&v, 10, 0, &comma)),
            [
                "-cpu Skyla",
                "ke,",
                "hv-spinloc",
                "ks=0x1fff,",
                "hv-time=on",
                ",x=1"
            ]
        );
        // Every line is within the width and nothing is lost.
        for w in 1..60 {
            let lines = wrap(&v, w, 0, &comma);
            assert!(lines.iter().all(|l| l.width() <= w), "{w}");
            assert_eq!(texts(&lines).concat(), v[0].content, "{w}");
        }
    }

    #[test]
    fn words_wrap_between_options_and_list_items_never_inside() {
        let v = [Span::raw(
            "-cpu host,hv-relaxed=on,hv-vapic=on turn off avx512vl=off,ibrs-all=off,x",
        )];
        let lines = texts(&wrap_words(&v, 16, 2));
        assert_eq!(
            lines,
            [
                "-cpu host,",
                "  hv-relaxed=on,",
                "  hv-vapic=on",
                "  turn off",
                "  avx512vl=off,",
                "  ibrs-all=off,x"
            ]
        );
    }

    #[test]
    fn a_wrapped_line_keeps_its_style() {
        let red = Style::new().fg(ratatui::style::Color::Red);
        let lines = wrap_line(&Line::styled("aa,bb", red), 3, 0);
        assert_eq!(texts(&lines), ["aa,", "bb"]);
        assert!(lines.iter().all(|l| l.spans.iter().all(|s| s.style == red)));
    }

    #[test]
    fn prose_wraps_at_spaces_with_an_indent() {
        let s = [
            Span::raw("! "),
            Span::raw("code: "),
            Span::raw("the host lacks 'avx512f', which <cpu> turns on"),
        ];
        assert_eq!(
            texts(&wrap(&s, 24, 2, &space)),
            [
                "! code: the host lacks",
                "  'avx512f', which <cpu>",
                "  turns on"
            ]
        );
        assert_eq!(texts(&wrap(&[Span::raw("")], 10, 2, &space)), [""]);
    }

    #[test]
    fn limiting_lines_says_there_is_more() {
        let v = [Span::raw("-cpu a,bb,ccc,dddd,eeeee,fffffff")];
        let lines = wrap(&v, 12, 0, &comma);
        assert_eq!(
            texts(&lines),
            ["-cpu a,bb,", "ccc,dddd,", "eeeee,", "fffffff"]
        );
        let note = || Some(Span::raw(" (y)"));
        assert_eq!(
            texts(&limit(lines.clone(), 2, 12, note())),
            ["-cpu a,bb,", "ccc,ddd… (y)"]
        );
        assert_eq!(
            texts(&limit(lines.clone(), 3, 12, note())),
            ["-cpu a,bb,", "ccc,dddd,", "eeeee,… (y)"]
        );
        assert_eq!(texts(&limit(lines.clone(), 4, 12, note())), texts(&lines));
        // Too narrow for the note: only the mark.
        assert_eq!(texts(&limit(lines.clone(), 1, 5, note())), ["-cpu…"]);
        for max in 1..4 {
            for w in 1..14 {
                let out = limit(lines.clone(), max, w, note());
                assert_eq!(out.len(), max);
                let last = &out[max - 1];
                assert!(last.width() <= w, "{max} {w}");
                assert!(last.to_string().contains(ELLIPSIS), "{max} {w}");
            }
        }
    }
}
