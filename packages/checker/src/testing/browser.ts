/**
 * A real browser for the tests of every HTML output (timelines, message
 * diagrams, review pages), found the same way everywhere:
 *
 * 1. `CHROMIUM_PATH`, if set (it must exist: a wrong path is an error, not
 *    a silent fallback);
 * 2. a system Chromium or Chrome (`/usr/bin/chromium` and friends);
 * 3. the headless Chromium that `@sparticuz/chromium` carries inside its npm
 *    package: nothing is downloaded, `npm install` is the whole set-up, and
 *    it unpacks into the temp directory on first use (a second or two).
 *
 * A machine with none of them fails the test with a message that says how
 * to get one; a browser test never skips.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export type BrowserSource = "CHROMIUM_PATH" | "system" | "@sparticuz/chromium";

export interface FoundBrowser {
  executablePath: string;
  args: string[];
  source: BrowserSource;
}

export const SYSTEM_CHROMIUM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
] as const;

/** Flags for a quiet headless browser that talks to no one. */
const QUIET_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Flags of @sparticuz/chromium's list that a test browser must not have. */
export const DROPPED_SPARTICUZ_ARGS: ReadonlySet<string> = new Set(["--single-process", "--disable-web-security"]);

export async function findBrowser(env: NodeJS.ProcessEnv = process.env): Promise<FoundBrowser> {
  const given = env.CHROMIUM_PATH;
  if (given !== undefined && given !== "") {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH=${given}: no such file. Point it at a Chromium or Chrome binary, or unset it to use the one npm installed.`);
    return { executablePath: given, args: QUIET_ARGS, source: "CHROMIUM_PATH" };
  }
  const system = SYSTEM_CHROMIUM_PATHS.find((p) => existsSync(p));
  if (system !== undefined) return { executablePath: system, args: QUIET_ARGS, source: "system" };
  let sparticuz: typeof import("@sparticuz/chromium").default;
  try {
    sparticuz = (await import("@sparticuz/chromium")).default;
  } catch (e) {
    throw new Error(
      `no browser for the HTML tests: CHROMIUM_PATH is not set, no system Chromium at ${SYSTEM_CHROMIUM_PATHS.join(", ")}, ` +
        `and @sparticuz/chromium could not be loaded (${e instanceof Error ? e.message : String(e)}). Run npm install at the repository root.`,
    );
  }
  // Its flags are tuned for serverless functions: --single-process would
  // end the whole browser when a test closes its last page, and
  // --disable-web-security would let a page of one origin read and write
  // another's, so a test could not show what a browser refuses a page
  // (kv-sim explore's refusal of another origin's requests).
  const args = sparticuz.args.filter((a) => !DROPPED_SPARTICUZ_ARGS.has(a));
  return { executablePath: await unpackOnce(() => sparticuz.executablePath()), args, source: "@sparticuz/chromium" };
}

/**
 * Test files run in parallel workers, and each may be the first to unpack
 * the npm Chromium; one that starts while another is still writing the
 * binary can find it half written. Asking again after a pause is enough:
 * the unpacking is idempotent.
 */
async function unpackOnce(unpack: () => Promise<string>): Promise<string> {
  let last: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await unpack();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 1_000 * (attempt + 1)));
    }
  }
  throw new Error(`@sparticuz/chromium could not unpack its browser: ${last instanceof Error ? last.message : String(last)}`);
}

/** Launches the browser `findBrowser` picks; retried once, for a binary another worker was still unpacking. */
export async function launchBrowser(): Promise<Browser> {
  const found = await findBrowser();
  try {
    return await chromium.launch({ executablePath: found.executablePath, args: found.args });
  } catch (first) {
    if (found.source !== "@sparticuz/chromium") throw first;
    await new Promise((r) => setTimeout(r, 3_000));
    return chromium.launch({ executablePath: found.executablePath, args: found.args });
  }
}

export interface PageProblems {
  /** Console errors, uncaught page errors, and any request that left the page (a self-contained page makes none). */
  problems: string[];
}

/** Opens a page that records console errors, page errors and every request to anything but file: and data: URLs. */
export async function watchedPage(browser: Browser): Promise<{ page: Page } & PageProblems> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${String(e)}`));
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith("file:") && !url.startsWith("data:") && !url.startsWith("about:")) problems.push(`unexpected request ${url}`);
  });
  return { page, problems };
}
