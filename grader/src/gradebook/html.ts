// The static review page: one self-contained HTML file, each paste with its
// matched evidence highlighted, the reasons, and a filter by status.
import type { Highlight, ProofResult } from "../proof/check.js";
import type { GradebookRow } from "./model.js";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The paste as HTML, each highlighted range in a `<mark>` carrying the kinds that cover it. */
export function highlightPaste(text: string, highlights: readonly Highlight[]): string {
  const bounds = new Set<number>([0, text.length]);
  for (const h of highlights) {
    bounds.add(Math.max(0, Math.min(text.length, h.start)));
    bounds.add(Math.max(0, Math.min(text.length, h.end)));
  }
  const points = [...bounds].sort((a, b) => a - b);
  // Sweep: highlights sorted by start; active set recomputed per segment (few highlights per paste).
  const sorted = [...highlights].sort((a, b) => a.start - b.start);
  let out = "";
  let next = 0;
  let active: Highlight[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i]!;
    const to = points[i + 1]!;
    while (next < sorted.length && sorted[next]!.start <= from) active.push(sorted[next++]!);
    active = active.filter((h) => h.end > from);
    const covering = active.filter((h) => h.start <= from && h.end >= to);
    const segment = escapeHtml(text.slice(from, to));
    if (covering.length === 0) out += segment;
    else {
      const kinds = [...new Set(covering.map((h) => h.kind))].sort();
      const title = [...new Set(covering.map((h) => h.label))].join("\n");
      out += `<mark class="${kinds.map((k) => `hl-${k}`).join(" ")}" title="${escapeHtml(title)}">${segment}</mark>`;
    }
  }
  return out;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem;color:#1a1a1a;overflow-wrap:anywhere}
header{position:sticky;top:0;background:#fff;padding:.5rem 0;border-bottom:1px solid #ddd}
@media (max-width:600px){header{position:static}}
.filters label{margin-right:1rem}
section.student{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
section.student h2{font-size:1.05rem;margin:.3rem 0}
.badge{display:inline-block;padding:0 .5em;border-radius:4px;font-size:.85rem;color:#fff}
.badge.pass{background:#1f7a33}.badge.fail{background:#b3261e}.badge.needs-review{background:#9a6700}
.manual{font-size:.8rem;border:1px solid #555;border-radius:4px;padding:0 .4em;margin-left:.4em}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem;white-space:pre-wrap}
mark.hl-request{background:#eeeeee}mark.hl-regex{background:#fff59d}mark.hl-applied,mark.hl-acknowledged{background:#c8e6c9}mark.hl-duplicate{background:#bbdefb}
mark.hl-violation{background:#ffcdd2;outline:1px solid #b3261e}
mark.hl-review{background:#ffe0b2;outline:1px dashed #9a6700}
mark.hl-regex.hl-request,mark.hl-regex.hl-applied,mark.hl-regex.hl-acknowledged,mark.hl-regex.hl-duplicate,mark.hl-regex.hl-violation,mark.hl-regex.hl-review{text-decoration:underline wavy #b8860b}
.legend mark{padding:0 .3em;margin-right:.5em}
`;

const SCRIPT = `
(function(){
  var radios=document.querySelectorAll('input[name="status"]');
  function apply(){
    var v=document.querySelector('input[name="status"]:checked').value;
    var shown=0;
    document.querySelectorAll('section.student').forEach(function(s){
      var on=v==='all'||s.dataset.status===v; s.hidden=!on; if(on)shown++;
    });
    document.getElementById('shown').textContent=String(shown);
  }
  radios.forEach(function(r){r.addEventListener('change',apply);});
  apply();
})();
`;

export interface ReviewPageInput {
  lessonId: string;
  lessonTitle: string;
  rows: readonly GradebookRow[];
  results: ReadonlyMap<string, ProofResult>;
  generatedAt: string;
}

export function renderReviewPage(input: ReviewPageInput): string {
  const counts = { pass: 0, fail: 0, "needs-review": 0 } as Record<string, number>;
  for (const r of input.rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const filter = (value: string, label: string, n: number, checked = false) =>
    `<label><input type="radio" name="status" value="${value}"${checked ? " checked" : ""}> ${label} (<span class="count" data-status="${value}">${n}</span>)</label>`;
  const sections = input.rows.map((row) => {
    const result = input.results.get(row.student);
    const paste = result?.text !== undefined
      ? // Passing pastes start folded so a class of hundreds stays readable; the rest start open.
        `<details class="paste-box"${row.status === "pass" ? "" : " open"}><summary>paste: ${result.bytes.toLocaleString("en-US")} bytes, ${result.highlights.length} highlight(s)</summary><pre class="paste">${highlightPaste(result.text, result.highlights)}</pre></details>`
      : `<p class="no-paste"><em>${result ? "paste refused (see reasons)" : "no paste in this run"}</em></p>`;
    const reasons = row.reasons.length
      ? `<ul class="reasons">${row.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join("")}</ul>`
      : `<p class="reasons-none">all checks passed</p>`;
    const score = row.score === null ? "–" : String(row.score);
    return `<section class="student" id="student-${escapeHtml(row.student)}" data-student="${escapeHtml(row.student)}" data-status="${row.status}">
<h2>${escapeHtml(row.student)} <span class="badge ${row.status}">${row.status}</span>${row.manual ? `<span class="manual">${escapeHtml(row.grader)}</span>` : ""} <small>score ${score}/${row.maxScore}</small></h2>
${reasons}
${paste}
</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Proof review: ${escapeHtml(input.lessonId)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Proof review: ${escapeHtml(input.lessonTitle)} <small>(${escapeHtml(input.lessonId)})</small></h1>
<p>Generated ${escapeHtml(input.generatedAt)} &middot; showing <span id="shown">${input.rows.length}</span> of ${input.rows.length}</p>
<div class="filters" role="radiogroup" aria-label="Filter by status">
${filter("all", "all", input.rows.length, true)}
${filter("needs-review", "needs review", counts["needs-review"]!)}
${filter("fail", "fail", counts.fail!)}
${filter("pass", "pass", counts.pass!)}
</div>
<p class="legend"><mark class="hl-regex">regex match</mark><mark class="hl-request">request</mark><mark class="hl-applied">applied or acknowledged</mark><mark class="hl-duplicate">duplicate answered</mark><mark class="hl-violation">evidence rule broken</mark><mark class="hl-review">evidence to review</mark></p>
</header>
<main>
${sections.join("\n")}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
