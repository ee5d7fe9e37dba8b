// `grader lesson pictures [--out DIR] [--check]`: the course's pictures, drawn
// from real simulator runs (grader/src/pictures/).
import path from "node:path";
import { EXIT, json, type Command } from "../args.js";
import { prepareOutDir } from "@dslab/protocol/cli";

export const lessonPictures: Command = {
  name: "lesson pictures",
  help: `Usage: grader lesson pictures [--out DIR] [--check] [--lessons DIR] [--json]

Draws the course's pictures from real runs of the simulator (the reference
node cores and retrying client, simulated time, a fixed seed and faults
placed by hand), so a picture shows what the code does, never what someone
drew:

  lost-reply-answered-from-session.svg  message diagram: the leader's reply is
      dropped, the retry (same client_id and seq) is answered from the session
      (the leader's [dedup] line beside it), not applied again
  retry-across-leader-crash.svg  timeline: the leader applies a write, its
      reply is lost and the leader is killed (SIGKILL); the attempt times out,
      the client backs off, a follower redirects it to the new leader, which
      answers the retry (same client_id and seq) from its session
  split-vote.svg  message diagram: two candidates in one term split the votes,
      a randomized election timeout starts the next term, which elects a leader

Each picture is a standalone SVG: the same code gives the same bytes. If a
scenario's run no longer shows what its picture claims (the simulator or the
reference changed), the command says which and exits 1.

Options:
  --out DIR       where to write (default: the pictures directory of the lessons, lessons/pictures)
  --check         draw in memory and compare with the files in DIR: list each
                  picture that differs or is missing; write nothing
  --lessons DIR   the course directory (default: lessons, here or in the nearest parent)
  --json          print the pictures (file, status) as JSON
  -h, --help      show this help

Exit codes: 0 written (or every picture matches), 1 a picture differs or is
missing (--check), or a scenario no longer shows its picture; 2 usage error;
4 a picture cannot be written (named, with why).
`,
  options: {
    out: { type: "string" },
    check: { type: "boolean", default: false },
  },
  async run(values, positionals, io) {
    if (positionals.length > 0) {
      io.stderr(`grader lesson pictures: unexpected argument ${JSON.stringify(positionals[0])}. Run \`grader lesson pictures --help\` for usage.\n`);
      return EXIT.usage;
    }
    const { PICTURES, renderPictures, writePictures, comparePictures } = await import("../../pictures/index.js");
    const dir = path.resolve(typeof values.out === "string" ? values.out : path.join(String(values.lessons), "pictures"));
    // Checked before the pictures are drawn (each is a simulated run): an --out that cannot take them is refused at once.
    if (values.check !== true) prepareOutDir(dir, PICTURES.map((p) => p.file));
    let rendered;
    try {
      rendered = await renderPictures();
    } catch (err) {
      io.stderr(`grader lesson pictures: ${(err as Error).message}\n`);
      return EXIT.fail;
    }
    if (values.check === true) {
      const differences = await comparePictures(dir, rendered);
      const bad = new Map(differences.map((d) => [d.file, d.problem]));
      if (values.json === true) {
        io.stdout(json({ dir, pictures: rendered.map((r) => ({ file: r.picture.file, status: bad.get(path.join(dir, r.picture.file)) ?? "matches" })) }));
      } else {
        for (const d of differences) {
          io.stdout(`${path.basename(d.file)}: ${d.problem === "missing" ? `missing from ${dir}` : "differs from a fresh drawing"}\n`);
        }
        io.stdout(
          differences.length === 0
            ? `${rendered.length} pictures match ${dir}\n`
            : `${differences.length} of ${rendered.length} pictures are out of date; run \`grader lesson pictures\` to redraw them\n`,
        );
      }
      return differences.length === 0 ? EXIT.ok : EXIT.fail;
    }
    const files = await writePictures(dir, rendered);
    if (values.json === true) io.stdout(json({ dir, pictures: rendered.map((r) => ({ file: r.picture.file, status: "written" })) }));
    else for (const [i, f] of files.entries()) io.stdout(`wrote ${f}: ${rendered[i]!.picture.about}\n`);
    return EXIT.ok;
  },
};
