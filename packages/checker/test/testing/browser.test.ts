import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { findBrowser, launchBrowser, SYSTEM_CHROMIUM_PATHS, watchedPage } from "../../src/testing/index.js";

const dir = mkdtempSync(join(tmpdir(), "find-browser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the browser the HTML tests use", () => {
  test("CHROMIUM_PATH comes first, and a path that does not exist is an error naming it, never a silent fallback", async () => {
    const fake = join(dir, "my-chromium");
    writeFileSync(fake, "");
    expect(await findBrowser({ CHROMIUM_PATH: fake })).toMatchObject({ executablePath: fake, source: "CHROMIUM_PATH" });
    await expect(findBrowser({ CHROMIUM_PATH: "/nonexistent/chromium" })).rejects.toThrow(
      "CHROMIUM_PATH=/nonexistent/chromium: no such file. Point it at a Chromium or Chrome binary, or unset it to use the one npm installed.",
    );
  });

  test("without CHROMIUM_PATH it takes a system Chromium, else the one npm installed, and that browser renders a page", async () => {
    const found = await findBrowser({});
    const system = SYSTEM_CHROMIUM_PATHS.find((p) => found.executablePath === p);
    expect(found.source).toBe(system !== undefined ? "system" : "@sparticuz/chromium");
    const browser = await launchBrowser();
    try {
      const { page, problems } = await watchedPage(browser);
      await page.setContent("<h1>timeline</h1><svg width='10' height='10'></svg>");
      expect(await page.locator("h1").innerText()).toBe("timeline");
      expect(await page.locator("svg").count()).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  test("keeps the browser's same-origin rule: a page cannot read a response from another origin that does not allow it", async () => {
    expect((await findBrowser({})).args).not.toContain("--disable-web-security");
    const listen = (body: string): Promise<Server> =>
      new Promise((resolve) => {
        const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(body));
        server.listen(0, "127.0.0.1", () => resolve(server));
      });
    const other = await listen("secret of the other origin");
    const page0 = await listen("<h1>page</h1>");
    const port = (s: Server) => (s.address() as AddressInfo).port;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port(page0)}/`);
      const read = await page.evaluate(async (url) => {
        try {
          return await (await fetch(url)).text();
        } catch (e) {
          return `refused: ${e instanceof Error ? e.name : String(e)}`;
        }
      }, `http://127.0.0.1:${port(other)}/`);
      expect(read).toBe("refused: TypeError");
    } finally {
      await browser.close();
      other.close();
      page0.close();
    }
  }, 120_000);
});
