//! Charts drawn server-side as plain SVG text: no fonts, no system libraries,
//! no dependencies. Stacked monthly bars and labelled horizontal bars.

use std::fmt::Write;

use super::service::CHANNELS;

const WIDTH: i64 = 640;
const COLOURS: [&str; 4] = ["#d9485f", "#f08c00", "#2f9e44", "#1c7ed6"];
const LOW_INCOME: &str = "#e8590c";
const PLAIN: &str = "#1c7ed6";

/// Fen as yuan with two decimals, e.g. `¥1234.50`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}¥{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn open(out: &mut String, height: i64, title: &str, class: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart {class}" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}"><title>{t}</title><style>text{{font-family:sans-serif;font-size:12px;fill:#333}} .t{{font-size:14px;font-weight:bold}}</style><text class="t" x="10" y="20">{t}</text>"#,
        t = escape(title)
    );
}

/// Net sales per month, stacked by channel, with a legend.
pub fn sales_by_channel(title: &str, months: &[(String, Vec<(String, i64)>)]) -> String {
    let (top, plot_h, left) = (50, 220, 80);
    let height = top + plot_h + 50;
    let mut out = String::new();
    open(&mut out, height, title, "sales-by-channel");
    for (i, channel) in CHANNELS.iter().enumerate() {
        let x = left + i as i64 * 130;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="30" width="10" height="10" fill="{}"/><text x="{}" y="39">{channel}</text>"#,
            COLOURS[i],
            x + 14
        );
    }
    let max = months
        .iter()
        .map(|(_, cs)| cs.iter().map(|(_, v)| (*v).max(0)).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = (WIDTH - left - 20) / (months.len().max(1) as i64);
    let base = top + plot_h;
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{base}" x2="{}" y2="{base}" stroke="#999"/><text x="5" y="{}">{}</text>"##,
        WIDTH - 10,
        top + 10,
        yuan(max)
    );
    for (m, (label, channels)) in months.iter().enumerate() {
        let x = left + m as i64 * slot + slot / 6;
        let mut y = base;
        for (c, channel) in CHANNELS.iter().enumerate() {
            let value = channels
                .iter()
                .find(|(name, _)| name == channel)
                .map_or(0, |(_, v)| (*v).max(0));
            let h = value * plot_h / max;
            if h > 0 {
                y -= h;
                let _ = write!(
                    out,
                    r#"<rect class="bar" x="{x}" y="{y}" width="{}" height="{h}" fill="{}"><title>{} {channel}: {}</title></rect>"#,
                    slot * 2 / 3,
                    COLOURS[c],
                    escape(label),
                    yuan(value)
                );
            }
        }
        let _ = write!(
            out,
            r#"<text x="{x}" y="{}">{}</text>"#,
            base + 18,
            escape(label)
        );
    }
    out.push_str("</svg>");
    out
}

/// One labelled bar per row (value in fen); highlighted rows in another colour.
pub fn horizontal_bars(title: &str, class: &str, rows: &[(String, i64, bool)]) -> String {
    let (top, row_h, left) = (40, 26, 170);
    let height = top + row_h * rows.len().max(1) as i64 + 20;
    let mut out = String::new();
    open(&mut out, height, title, class);
    let max = rows
        .iter()
        .map(|(_, v, _)| v.abs())
        .max()
        .unwrap_or(0)
        .max(1);
    let span = WIDTH - left - 110;
    if rows.is_empty() {
        let _ = write!(out, r#"<text x="10" y="{}">no data</text>"#, top + 16);
    }
    for (i, (label, value, highlight)) in rows.iter().enumerate() {
        let y = top + i as i64 * row_h;
        let w = (value.abs() * span / max).max(1);
        let colour = if *highlight { LOW_INCOME } else { PLAIN };
        let _ = write!(
            out,
            r#"<text x="10" y="{}">{}</text><rect class="bar" x="{left}" y="{y}" width="{w}" height="{}" fill="{colour}"><title>{}: {}</title></rect><text x="{}" y="{}">{}</text>"#,
            y + 16,
            escape(label),
            row_h - 6,
            escape(label),
            yuan(*value),
            left + w + 6,
            y + 16,
            yuan(*value)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_money_shown_in_yuan() {
        let svg = horizontal_bars("t", "c", &[("<王>".into(), 12_345, true)]);
        assert!(svg.contains("&lt;王&gt;"));
        assert!(svg.contains("¥123.45"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(yuan(-5), "-¥0.05");
    }
}
