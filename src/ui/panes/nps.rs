//! The NPS pane: score, shares, themes, CSAT and CES.

use super::*;

/// The NPS pane.
pub struct Nps<'a> {
    pub snapshot: &'a Snapshot,
    pub scroll: usize,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Nps<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Nps {
            snapshot: s,
            scroll,
            theme,
            text,
        } = self;
        let Some(n) = &s.kpis.nps else {
            buf.put(
                Paragraph::new(Span::styled("no feedback source loaded", theme.dim())),
                area,
            );
            return;
        };
        let share = |x: u64| {
            if n.responses == 0 {
                NONE.to_string()
            } else {
                format!("{:.0}%", x as f64 * 100.0 / n.responses as f64)
            }
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled("NPS ", theme.dim()),
                Span::styled(format::num(n.score, 1), text.add_modifier(Modifier::BOLD)),
                Span::styled(format!(" ± {} ", format::num(n.margin, 1)), theme.dim()),
                Span::styled(format!("({} responses)", n.responses), theme.dim()),
                Span::styled(
                    if n.change_significant {
                        "  significant change"
                    } else {
                        ""
                    },
                    theme.fg(theme.warn),
                ),
            ]),
            share_bar(
                area.width as usize,
                &[
                    (n.promoters, theme.fg(theme.good)),
                    (n.passives, theme.fg(theme.warn)),
                    (n.detractors, theme.fg(theme.bad)),
                ],
                theme,
            ),
            Line::from(vec![
                Span::styled(
                    format!("promoters {} ({}) ", n.promoters, share(n.promoters)),
                    theme.fg(theme.good),
                ),
                Span::styled(
                    format!("passives {} ({}) ", n.passives, share(n.passives)),
                    theme.fg(theme.warn),
                ),
                Span::styled(
                    format!("detractors {} ({})", n.detractors, share(n.detractors)),
                    theme.fg(theme.bad),
                ),
            ]),
        ];
        let csat = s.kpis.csat.as_ref();
        let ces = s.kpis.ces.as_ref();
        lines.push(Line::from(vec![
            Span::styled("CSAT ", theme.dim()),
            Span::styled(format::pct(csat.and_then(|c| c.score)), text),
            Span::styled(
                format!(
                    " mean {} ({})   ",
                    format::num(csat.and_then(|c| c.mean), 2),
                    csat.map_or(0, |c| c.responses)
                ),
                theme.dim(),
            ),
            Span::styled("CES ", theme.dim()),
            Span::styled(format::num(ces.and_then(|c| c.mean), 2), text),
            Span::styled(
                format!(
                    " easy {} ({})",
                    format::pct(ces.and_then(|c| c.easy_share)),
                    ces.map_or(0, |c| c.responses)
                ),
                theme.dim(),
            ),
        ]));
        if let Some(l) = &s.kpis.loyalty_retention {
            lines.push(Line::from(vec![
                Span::styled("retention by last NPS: ", theme.dim()),
                Span::styled(
                    format!("promoters {} ", format::pct(l.promoter)),
                    theme.fg(theme.good),
                ),
                Span::styled(
                    format!("passives {} ", format::pct(l.passive)),
                    theme.fg(theme.warn),
                ),
                Span::styled(
                    format!("detractors {} ", format::pct(l.detractor)),
                    theme.fg(theme.bad),
                ),
                Span::styled(format!("none {}", format::pct(l.none)), theme.dim()),
            ]));
        }
        if !n.detractor_themes.is_empty() {
            lines.push(Line::from(Span::styled(
                "detractor themes (count, in promoters):",
                theme.dim(),
            )));
            for t in n.detractor_themes.iter().skip(scroll) {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<16}", t.word), text),
                    Span::styled(format!("{:>4}", t.count), theme.fg(theme.bad)),
                    Span::styled(format!("{:>5}", t.promoter_count), theme.fg(theme.good)),
                ]));
            }
        }
        buf.put(Paragraph::new(lines), area);
    }
}
