// Loading the course and one lesson for a command, with parse problems shown.
import { orderByPrerequisites } from "../../check/plan.js";
import { loadCourse, type Course } from "../../lesson/load.js";
import { resolveLesson } from "../../lesson/resolve.js";
import { formatDiagnostic, type Lesson } from "../../lesson/model.js";
import { UsageError, type Io } from "../args.js";

/**
 * The course in `dir` and the lesson `name` names: its id, or its short name
 * or another piece of its id or title that only it has (resolveLesson, as
 * `grader check --lesson` takes it).
 */
export async function loadLessonOrExit(dir: string, name: string, io: Io): Promise<{ course: Course; lesson: Lesson }> {
  const course = await loadCourse(dir);
  const partial = course.partial?.find((l) => l.id === name.trim());
  if (partial && !course.lessons.some((l) => l.id === partial.id)) {
    const errors = course.diagnostics.filter((d) => d.file === partial.file && d.severity === "error");
    for (const d of errors) io.stderr(formatDiagnostic(d) + "\n");
    throw new UsageError(`lesson ${JSON.stringify(name)} (${partial.file}) has ${errors.length} error(s), listed above; fix them (\`grader lint --lessons ${dir}\`)`);
  }
  const resolved = resolveLesson(name, orderByPrerequisites(course.lessons), `the course in ${dir}`);
  if ("error" in resolved) {
    const broken = course.diagnostics.filter((d) => d.severity === "error");
    const hint = broken.length > 0 ? ` (${broken.length} lesson file error(s); run \`grader lint --lessons ${dir}\`)` : "";
    throw new UsageError(`lesson ID ${resolved.error}${hint}`);
  }
  const { lesson } = resolved;
  for (const d of course.diagnostics) if (d.file === lesson.file) io.stderr(formatDiagnostic(d) + "\n");
  return { course, lesson };
}
