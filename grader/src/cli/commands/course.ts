// Loading the course and one lesson for a command, with parse problems shown.
import { findLesson, loadCourse, type Course } from "../../lesson/load.js";
import { formatDiagnostic, type Lesson } from "../../lesson/model.js";
import { UsageError, type Io } from "../args.js";

export async function loadLessonOrExit(dir: string, id: string, io: Io): Promise<{ course: Course; lesson: Lesson }> {
  const course = await loadCourse(dir);
  const lesson = findLesson(course, id);
  if (!lesson) {
    const partial = course.partial?.find((l) => l.id === id);
    if (partial) {
      const errors = course.diagnostics.filter((d) => d.file === partial.file && d.severity === "error");
      for (const d of errors) io.stderr(formatDiagnostic(d) + "\n");
      throw new UsageError(`lesson ${JSON.stringify(id)} (${partial.file}) has ${errors.length} error(s), listed above; fix them (\`grader lint --lessons ${dir}\`)`);
    }
    const broken = course.diagnostics.filter((d) => d.severity === "error");
    const hint = broken.length > 0 ? ` (${broken.length} lesson file error(s); run \`grader lint --lessons ${dir}\`)` : "";
    const known = course.lessons.map((l) => l.id).sort();
    throw new UsageError(`no lesson with id ${JSON.stringify(id)} in ${dir}${hint}. Known ids: ${known.join(", ") || "none"}`);
  }
  for (const d of course.diagnostics) if (d.file === lesson.file) io.stderr(formatDiagnostic(d) + "\n");
  return { course, lesson };
}
