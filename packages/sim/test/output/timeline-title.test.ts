import { describe, expect, test } from "vitest";
import { runInProcess } from "../../src/run/in-process.js";
import { renderTimeline } from "../../src/output/timeline.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";

/** The page's heading (title and banner) and the line under it, as text. */
function heading(html: string): { title: string; banner: string; note: string } {
  const h1 = /<h1>(.*?)<span class="verdict [^"]*" id="verdict">(.*?)<\/span><\/h1>/.exec(html);
  const note = /<\/h1>\n<p class="note">(.*?)<\/p>/.exec(html);
  return { title: h1?.[1] ?? "", banner: h1?.[2] ?? "", note: note?.[1] ?? "" };
}

describe("timeline.html's title", () => {
  test("a run that fails liveness alone names it beside the history check's green banner, and says why", async () => {
    // Final reads cannot finish within 1 ms of the heal: liveness fails, the history stays exactly once.
    const a = await runInProcess({ ...DEFAULT_CONFIG, seed: "1", timeLimitS: 3, livenessBoundS: 0.001 });
    expect(a.results?.checks["exactly-once"]?.valid).toBe(true);
    expect(a.results?.verdict).toBe("invalid");
    const { title, banner, note } = heading(await renderTimeline(a));
    expect(banner).toBe("exactly once");
    expect(title).toBe("kv-sim seed 1: invalid (liveness failed)");
    expect(note).toMatch(/^the banner is the check of the history alone; the run is invalid because of liveness: final reads did not finish within 1 ms · exactly-once, 3 nodes, in-process; replay: /);
  });

  test("a valid run's title is the verdict alone", async () => {
    const a = await runInProcess({ ...DEFAULT_CONFIG, seed: "1", timeLimitS: 3 });
    expect(a.results?.verdict).toBe("valid");
    const { title, banner, note } = heading(await renderTimeline(a));
    expect(title).toBe("kv-sim seed 1: valid");
    expect(banner).toBe("exactly once");
    expect(note).toMatch(/^exactly-once, 3 nodes, in-process; replay: npm run kv-sim -- run --seed 1 /);
  });
});
