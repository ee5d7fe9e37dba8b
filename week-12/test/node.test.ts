/**
 * The dedup node program of the workbook under check (node/main.ts on its
 * store): the process-mode checks start it and read its replies.
 */
import { describe, expect, it } from "vitest";
import { runNode } from "../checks/dedup-store.js";
import { workbookFromEnv } from "../checks/workbook.js";

describe("the node program", () => {
  it("runNode starts the node on the store of the workbook under check and reads its replies", async () => {
    const r = await runNode(workbookFromEnv(), ['{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}']);
    expect(r.replies).toEqual([{ src: "n1", dest: "c0", body: { type: "init_ok", in_reply_to: 1, msg_id: 0 } }]);
  });
});
