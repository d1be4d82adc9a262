//! Every colour the UI uses comes from one `Theme`. Named ANSI colours only,
//! so 16-colour terminals stay readable; `NO_COLOR` turns colour off.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub text: Color,
    pub dim: Color,
    pub accent: Color,
    pub good: Color,
    pub bad: Color,
    pub warn: Color,
    pub border: Color,
    pub focus: Color,
    pub selected_bg: Color,
    /// Heat scale from low to high retention.
    pub heat: [Color; 5],
}

impl Theme {
    pub const DARK: Theme = Theme {
        color: true,
        text: Color::White,
        dim: Color::DarkGray,
        accent: Color::Cyan,
        good: Color::Green,
        bad: Color::Red,
        warn: Color::Yellow,
        border: Color::Gray,
        focus: Color::Cyan,
        selected_bg: Color::Blue,
        heat: [
            Color::Red,
            Color::LightRed,
            Color::Yellow,
            Color::LightGreen,
            Color::Green,
        ],
    };

    pub const LIGHT: Theme = Theme {
        color: true,
        text: Color::Black,
        dim: Color::Gray,
        accent: Color::Blue,
        good: Color::Green,
        bad: Color::Red,
        warn: Color::Magenta,
        border: Color::DarkGray,
        focus: Color::Blue,
        selected_bg: Color::LightCyan,
        heat: [
            Color::Red,
            Color::LightRed,
            Color::Yellow,
            Color::LightGreen,
            Color::Green,
        ],
    };

    pub const MONO: Theme = Theme {
        color: false,
        text: Color::Reset,
        dim: Color::Reset,
        accent: Color::Reset,
        good: Color::Reset,
        bad: Color::Reset,
        warn: Color::Reset,
        border: Color::Reset,
        focus: Color::Reset,
        selected_bg: Color::Reset,
        heat: [Color::Reset; 5],
    };

    /// The theme for this environment: `NO_COLOR` (set and non-empty) wins.
    pub fn from_env(light: bool) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        match (no_color, light) {
            (true, _) => Theme::MONO,
            (false, true) => Theme::LIGHT,
            (false, false) => Theme::DARK,
        }
    }

    pub fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn text(&self) -> Style {
        self.fg(self.text)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            self.fg(self.dim)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        }
    }

    pub fn title(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn border(&self, focused: bool) -> Style {
        match (self.color, focused) {
            (true, true) => self.fg(self.focus).add_modifier(Modifier::BOLD),
            (true, false) => self.fg(self.border),
            (false, true) => Style::default().add_modifier(Modifier::BOLD),
            (false, false) => Style::default(),
        }
    }

    pub fn selected(&self) -> Style {
        if self.color {
            Style::default()
                .bg(self.selected_bg)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    /// Good / bad / neutral colour of a change: `better` says whether up is good.
    pub fn change(&self, delta: Option<f64>, up_is_good: bool) -> Style {
        match delta {
            Some(d) if d.abs() < 1e-12 => self.dim(),
            Some(d) if (d > 0.0) == up_is_good => self.fg(self.good),
            Some(_) => self.fg(self.bad),
            None => self.dim(),
        }
    }

    /// The heat colour of a retention share (0..100).
    pub fn heat(&self, share: f64) -> Style {
        let i = ((share / 100.0) * 4.999).clamp(0.0, 4.0) as usize;
        if self.color {
            Style::default().fg(Color::Black).bg(self.heat[i])
        } else {
            Style::default()
        }
    }
}
