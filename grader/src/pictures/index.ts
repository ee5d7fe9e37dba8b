// `grader lesson pictures`: regenerate the course's pictures (lessons/pictures/)
// from their scenarios, or compare them with the committed files.
import { readFile, writeFile } from "node:fs/promises";
import { InputError, makeDirectory } from "@dslab/protocol/cli";
import path from "node:path";
import { unreadableReason } from "../fs/reasons.js";
import { PICTURES, type Picture } from "./scenarios.js";

export { PICTURES, type Picture } from "./scenarios.js";

export interface RenderedPicture {
  picture: Picture;
  svg: string;
}

export async function renderPictures(pictures: readonly Picture[] = PICTURES): Promise<RenderedPicture[]> {
  const out: RenderedPicture[] = [];
  // One at a time: each is a simulated run, and the machine may be shared.
  for (const picture of pictures) out.push({ picture, svg: await picture.render() });
  return out;
}

export async function writePictures(dir: string, rendered: readonly RenderedPicture[]): Promise<string[]> {
  // A level at a time: Node's recursive mkdir never returns under /proc.
  await makeDirectory(dir);
  const written: string[] = [];
  for (const r of rendered) {
    const file = path.join(dir, r.picture.file);
    try {
      await writeFile(file, r.svg);
    } catch (err) {
      throw new InputError(`--out ${dir}: cannot write ${r.picture.file} there: ${unreadableReason(err, "write")}`, { cause: err });
    }
    written.push(file);
  }
  return written;
}

export type PictureDifference = { file: string; problem: "missing" | "differs" };

/** The pictures whose committed file is missing or has other bytes than a fresh render. */
export async function comparePictures(dir: string, rendered: readonly RenderedPicture[]): Promise<PictureDifference[]> {
  const out: PictureDifference[] = [];
  for (const r of rendered) {
    const file = path.join(dir, r.picture.file);
    let committed: string;
    try {
      committed = await readFile(file, "utf8");
    } catch {
      out.push({ file, problem: "missing" });
      continue;
    }
    if (committed !== r.svg) out.push({ file, problem: "differs" });
  }
  return out;
}
