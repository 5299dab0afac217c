//! Colours and emphasis, in one place. `NO_COLOR` (no-color.org) turns every colour off and keeps
//! only bold/reverse, so focus and selection stay visible on a monochrome terminal.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// The theme the environment asks for: colourless when `NO_COLOR` is set to anything
    /// non-empty.
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    pub const COLOR: Theme = Theme { color: true };
    pub const MONO: Theme = Theme { color: false };

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.fg(Color::DarkGray),
        }
    }
    pub fn label(&self) -> Style {
        self.fg(Color::DarkGray)
    }
    pub fn value(&self) -> Style {
        Style::new()
    }
    pub fn added(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn removed(&self) -> Style {
        self.fg(Color::Red)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn info(&self) -> Style {
        self.fg(Color::Blue)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn argv(&self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn modified(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_keeps_emphasis_but_no_colours() {
        let t = Theme::MONO;
        for s in [
            t.border(true),
            t.error(),
            t.added(),
            t.removed(),
            t.key(),
            t.argv(),
            t.selected(),
            t.dim(),
        ] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        assert!(
            t.border(true).add_modifier.contains(Modifier::BOLD),
            "focus stays visible"
        );
        assert!(
            t.selected().add_modifier.contains(Modifier::REVERSED),
            "selection stays visible"
        );
        assert_eq!(Theme::COLOR.error().fg, Some(Color::Red));
    }
}
