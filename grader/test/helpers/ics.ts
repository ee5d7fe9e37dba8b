// A small RFC 5545 reader for tests: unfolds lines, splits properties and
// parameters, unescapes TEXT, and nests components.

export interface Prop {
  name: string;
  params: Record<string, string>;
  value: string;
}

export interface Component {
  name: string;
  props: Prop[];
  components: Component[];
}

export function unescapeText(v: string): string {
  return v.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === "n" || c === "N" ? "\n" : c));
}

export function parseIcs(text: string): Component {
  if (/[^\r]\n/.test(text)) throw new Error("a line ends with a bare LF; RFC 5545 needs CRLF");
  const lines = text.replace(/\r\n[ \t]/g, "").split("\r\n");
  if (lines.pop() !== "") throw new Error("the file must end with CRLF");
  const stack: Component[] = [];
  let root: Component | undefined;
  for (const line of lines) {
    const colon = line.indexOf(":");
    const head = line.slice(0, colon);
    const value = line.slice(colon + 1);
    const [name, ...params] = head.split(";");
    if (name === "BEGIN") {
      const c: Component = { name: value, props: [], components: [] };
      if (stack.length) stack.at(-1)!.components.push(c);
      else root = c;
      stack.push(c);
    } else if (name === "END") {
      const c = stack.pop();
      if (c?.name !== value) throw new Error(`END:${value} closes ${c?.name}`);
    } else {
      stack.at(-1)!.props.push({ name: name!, params: Object.fromEntries(params.map((p) => p.split("=") as [string, string])), value });
    }
  }
  if (!root || stack.length) throw new Error("unbalanced BEGIN/END");
  return root;
}

export function prop(c: Component, name: string): Prop | undefined {
  return c.props.find((p) => p.name === name);
}

export function value(c: Component, name: string): string | undefined {
  return prop(c, name)?.value;
}
