//! Every colour the UI uses comes from one `Theme`. The dark theme uses named
//! ANSI colours, so 16-colour terminals stay readable; the light theme uses
//! the 256-colour palette, whose colours have fixed values, paints its own
//! white background and so has a known contrast: every text colour passes
//! WCAG AA (4.5:1) on the background it is drawn on (tested). `NO_COLOR`
//! turns colour off.

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
    /// Text on `selected_bg`.
    pub selected_fg: Color,
    /// The background the theme paints (`Reset`: the terminal's own).
    pub background: Color,
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
        selected_fg: Color::White,
        background: Color::Reset,
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
        // xterm 256-colour palette: 235 = #262626, 241 = #626262,
        // 25 = #005faf, 22 = #005f00, 124 = #af0000, 94 = #875f00,
        // 245 = #8a8a8a, 231 = #ffffff.
        text: Color::Indexed(235),
        dim: Color::Indexed(241),
        accent: Color::Indexed(25),
        good: Color::Indexed(22),
        bad: Color::Indexed(124),
        warn: Color::Indexed(94),
        border: Color::Indexed(245),
        focus: Color::Indexed(25),
        selected_bg: Color::Indexed(25),
        selected_fg: Color::Indexed(231),
        background: Color::Indexed(231),
        // Light backgrounds under black figures: #ff8787, #ffaf87, #ffffaf,
        // #afffaf, #87d787.
        heat: [
            Color::Indexed(210),
            Color::Indexed(216),
            Color::Indexed(229),
            Color::Indexed(157),
            Color::Indexed(114),
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
        selected_fg: Color::Reset,
        background: Color::Reset,
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
                .fg(self.selected_fg)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The sRGB value of a 256-colour palette entry (16–255: the 6×6×6 cube
    /// and the grey ramp, the same in every xterm-compatible terminal).
    fn rgb(c: Color) -> (u8, u8, u8) {
        match c {
            Color::Indexed(i) if (16..232).contains(&i) => {
                let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
                let i = i - 16;
                (level(i / 36), level(i / 6 % 6), level(i % 6))
            }
            Color::Indexed(i) if i >= 232 => {
                let g = 8 + 10 * (i - 232);
                (g, g, g)
            }
            Color::Black => (0, 0, 0),
            Color::Rgb(r, g, b) => (r, g, b),
            other => panic!("{other:?} has no fixed value"),
        }
    }

    fn luminance(c: Color) -> f64 {
        let (r, g, b) = rgb(c);
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    /// WCAG 2 contrast ratio.
    fn contrast(a: Color, b: Color) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn the_palette_reads_as_xterm_defines_it() {
        assert_eq!(rgb(Color::Indexed(25)), (0, 95, 175));
        assert_eq!(rgb(Color::Indexed(231)), (255, 255, 255));
        assert_eq!(rgb(Color::Indexed(235)), (38, 38, 38));
        assert!((contrast(Color::Black, Color::Indexed(231)) - 21.0).abs() < 1e-9);
    }

    #[test]
    fn the_light_theme_passes_wcag_aa_for_every_text_colour() {
        let t = Theme::LIGHT;
        let bg = t.background;
        // Text, labels, titles, changes, warnings on the page.
        for (name, fg) in [
            ("text", t.text),
            ("dim", t.dim),
            ("accent", t.accent),
            ("good", t.good),
            ("bad", t.bad),
            ("warn", t.warn),
            ("focus", t.focus),
        ] {
            let c = contrast(fg, bg);
            assert!(c >= 4.5, "{name} on the background: {c:.2}");
        }
        // A selected row; a gauge's value over its filled part (background
        // colour on the bar's colour).
        assert!(contrast(t.selected_fg, t.selected_bg) >= 4.5);
        for bar in [t.accent, t.good, t.bad, t.warn, t.dim] {
            let c = contrast(bg, bar);
            assert!(c >= 4.5, "gauge value on {bar:?}: {c:.2}");
        }
        // Black figures on the cohort heat map.
        for h in t.heat {
            let c = contrast(Color::Black, h);
            assert!(c >= 4.5, "heat {h:?}: {c:.2}");
        }
        // Borders are not text: 3:1 (WCAG's non-text contrast).
        assert!(contrast(t.border, bg) >= 3.0);
    }
}
