// @ts-check
// Indicators: one chart per indicator (bars for the LA or England, a line for the national
// median), each with its table for screen readers and its CSV from the API itself. Figures are
// shown exactly as the API publishes them: a suppressed count reads "fewer than 5" everywhere.

import { h, table } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

/** @typedef {{ shown: string, value?: number } | null | undefined} Figure */
/** @typedef {{ key: string, group: string, label: string, unit: string, values: Figure[], nationalMedian: Figure[] }} Series */

const GROUPS = {
  plans: "Active plans",
  alerts: "Alerts",
  timeliness: "Time to reach the LA",
  uploads: "Uploads and extracts",
  data_quality: "Data quality",
};

/**
 * A published figure as words (the CSV's own words, so the table and the download agree).
 * @param {Figure} f
 * @param {string} unit
 */
export function figureText(f, unit) {
  if (f === null || f === undefined) return "no data";
  if (f.shown === "fewer_than_5") return "fewer than 5";
  if (f.shown === "withheld") return "not shown";
  return unit === "seconds" ? duration(f.value ?? 0) : String(f.value);
}

/**
 * Seconds as a person reads a band's upper bound ("within 2 min").
 * @param {number} s
 */
export function duration(s) {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(Node | string)} children
 */
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * A bar chart of one series over the weeks, the national median as a line over it.
 * @param {Series} series
 * @param {string[]} weeks
 * @param {string} id
 */
function chart(series, weeks, id) {
  const W = 600;
  const H = 170;
  const top = 18;
  const bottom = 24;
  const left = 8;
  const plot = H - top - bottom;
  const shownValue = (/** @type {Figure} */ f) => (f && (f.shown === "exact" || f.shown === "rounded") ? f.value ?? null : null);
  // A suppressed count is drawn at the threshold's height, marked, never at a guessed value.
  const heightOf = (/** @type {Figure} */ f) => (f && f.shown === "fewer_than_5" ? 4 : shownValue(f));
  const max = Math.max(5, ...series.values.map((f) => heightOf(f) ?? 0), ...series.nationalMedian.map((f) => heightOf(f) ?? 0));
  const step = (W - left * 2) / weeks.length;
  const y = (/** @type {number} */ v) => top + plot - (v / max) * plot;
  const title = `${series.label}: ${weeks.length} weeks, bars for these figures, a line for the national median. The table below gives every value.`;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-title`, class: "app-chart", focusable: "false" },
    svg("title", { id: `${id}-title` }, title));
  root.append(svg("line", { x1: left, x2: W - left, y1: top + plot, y2: top + plot, class: "app-chart__axis" }));
  root.append(svg("text", { x: left, y: 12, class: "app-chart__label" }, series.unit === "seconds" ? `up to ${duration(max)}` : `up to ${max}`));
  series.values.forEach((f, i) => {
    const x = left + i * step + step * 0.15;
    const v = heightOf(f);
    if (v !== null) {
      const cls = shownValue(f) !== null ? "app-chart__bar" : "app-chart__bar app-chart__bar--suppressed";
      root.append(svg("rect", { x, y: y(v), width: step * 0.7, height: Math.max(1, top + plot - y(v)), class: cls }));
    }
    if (shownValue(f) === null) {
      root.append(svg("text", { x: x + step * 0.35, y: y(v ?? 0) - 4, class: "app-chart__mark", "text-anchor": "middle" }, !f ? "·" : f.shown === "fewer_than_5" ? "<5" : "–"));
    }
    // Every other week labelled, always the latest.
    if ((weeks.length - 1 - i) % 2 === 0 || weeks.length <= 6) {
      root.append(svg("text", { x: x + step * 0.35, y: H - 6, class: "app-chart__label", "text-anchor": "middle" }, weeks[i].slice(5)));
    }
  });
  const points = series.nationalMedian.flatMap((f, i) => {
    const v = heightOf(f);
    return v === null ? [] : [`${left + i * step + step / 2},${y(v)}`];
  });
  if (points.length > 0) {
    root.append(svg("polyline", { points: points.join(" "), class: "app-chart__median" }));
    for (const p of points) {
      const [cx, cy] = p.split(",");
      root.append(svg("circle", { cx, cy, r: 3, class: "app-chart__median-point" }));
    }
  }
  return root;
}

/**
 * The indicators page's content: sections of charts, each with its table and its CSV.
 * @param {{ scope: string, weeks: string[], indicators: Series[] }} report
 * @param {(key: string) => void} download
 */
export function indicatorCharts(report, download) {
  const scopeName = report.scope === "national" ? "England" : report.scope;
  const sections = [];
  for (const [group, heading] of Object.entries(GROUPS)) {
    const series = report.indicators.filter((s) => s.group === group);
    if (series.length === 0) continue;
    sections.push(h("h2", {}, heading));
    const figures = h("div", { class: "app-figures" });
    sections.push(figures);
    for (const s of series) {
      const id = `chart-${s.key}`;
      const latest = s.values[s.values.length - 1];
      figures.append(h("figure", { class: "app-figure", id, "data-indicator": s.key },
        h("figcaption", {}, h("h3", { class: "nhsuk-heading-s" }, s.label),
          h("p", { class: "nhsuk-body-s" }, `This week: ${figureText(latest, s.unit)} (national median ${figureText(s.nationalMedian[s.nationalMedian.length - 1], s.unit)}).`)),
        chart(s, report.weeks, id),
        h("details", { class: "nhsuk-details" },
          h("summary", { class: "nhsuk-details__summary" }, h("span", { class: "nhsuk-details__summary-text" }, `${s.label} as a table`)),
          h("div", { class: "nhsuk-details__text" },
            table(`${s.label}, by week`, ["Week", scopeName, "National median"],
              report.weeks.map((w, i) => [w, figureText(s.values[i], s.unit), figureText(s.nationalMedian[i], s.unit)])))),
        h("button", { class: "nhsuk-button nhsuk-button--secondary nhsuk-button--small app-csv", type: "button", "data-csv": s.key, onclick: () => download(s.key) },
          "Download CSV", h("span", { class: "nhsuk-u-visually-hidden" }, ` of ${s.label}`))));
    }
  }
  return sections;
}
