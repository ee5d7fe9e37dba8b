/**
 * The little XML the reports need: escaping for text and attributes, and a
 * strict well-formedness check (`parseXml`) that reads a document back into
 * elements. It accepts the XML declaration, elements, attributes, text,
 * comments, CDATA sections, the five predefined entities and character
 * references; it refuses a DOCTYPE, an undefined entity, a character XML 1.0
 * does not allow, a repeated attribute, a mismatched or unclosed tag, text
 * outside the root, and `]]>` in text, each with line:column.
 */

/** Text content: `&`, `<` and `>` escaped (so `]]>` can never appear). Assumes cleanText ran. */
export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** An attribute value in double quotes: also `"`, and tab/newline/CR as references (else a parser folds them to spaces). */
export function escapeAttribute(s: string): string {
  return escapeText(s).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;");
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (children's text not included), entities resolved. */
  text: string;
}

export class XmlError extends Error {
  override readonly name = "XmlError";
  readonly code = "XML_NOT_WELL_FORMED";
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

export function parseXml(doc: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    const before = doc.slice(0, i);
    const line = before.split("\n").length;
    const col = i - before.lastIndexOf("\n");
    throw new XmlError(`${line}:${col}: ${what}`);
  };
  // Every character must be an XML Char (surrogates must pair).
  for (let k = 0; k < doc.length; k++) {
    const cp = doc.codePointAt(k)!;
    if (cp > 0xffff) {
      k++;
      continue;
    }
    if (!isXmlChar(cp)) {
      i = k;
      fail(`character U+${cp.toString(16).toUpperCase().padStart(4, "0")} is not allowed in XML`);
    }
  }
  const skipSpace = () => {
    while (i < doc.length && /\s/.test(doc[i]!)) i++;
  };
  const decode = (raw: string, at: number): string =>
    raw.replace(/&([^;]*);|&/g, (m, ref: string | undefined) => {
      if (ref === undefined) {
        i = at;
        return fail("a bare & (write &amp;)");
      }
      if (ref.startsWith("#")) {
        const cp = ref.startsWith("#x") ? Number.parseInt(ref.slice(2), 16) : /^#\d+$/.test(ref) ? Number(ref.slice(1)) : NaN;
        if (!Number.isFinite(cp) || !isXmlChar(cp)) {
          i = at;
          return fail(`character reference ${m} is not an XML character`);
        }
        return String.fromCodePoint(cp);
      }
      const v = ENTITIES[ref];
      if (v === undefined) {
        i = at;
        return fail(`undefined entity ${m}`);
      }
      return v;
    });

  if (doc.startsWith("\ufeff")) i = 1;
  if (doc.startsWith("<?xml", i)) {
    const end = doc.indexOf("?>", i);
    if (end < 0) fail("unclosed XML declaration");
    if (!/^<\?xml\s+version="1\.[0-9]"(\s+encoding="[A-Za-z][-A-Za-z0-9._]*")?(\s+standalone="(yes|no)")?\s*\?>$/.test(doc.slice(i, end + 2))) fail("malformed XML declaration");
    i = end + 2;
  }
  const misc = () => {
    for (;;) {
      skipSpace();
      if (doc.startsWith("<!--", i)) comment();
      else if (doc.startsWith("<?", i)) {
        const end = doc.indexOf("?>", i);
        if (end < 0) fail("unclosed processing instruction");
        i = end + 2;
      } else return;
    }
  };
  const comment = () => {
    const end = doc.indexOf("-->", i + 4);
    if (end < 0) fail("unclosed comment");
    if (doc.slice(i + 4, end).includes("--")) fail("-- inside a comment");
    i = end + 3;
  };
  const element = (): XmlElement => {
    i++; // <
    const name = NAME.exec(doc.slice(i, i + 200))?.[0] ?? fail("expected an element name");
    i += name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const hadSpace = /\s/.test(doc[i] ?? "");
      skipSpace();
      if (doc.startsWith("/>", i)) {
        i += 2;
        return { name, attributes, children: [], text: "" };
      }
      if (doc[i] === ">") {
        i++;
        break;
      }
      if (!hadSpace) fail("expected a space before an attribute");
      const attr = NAME.exec(doc.slice(i, i + 200))?.[0] ?? fail("expected an attribute name");
      i += attr.length;
      skipSpace();
      if (doc[i] !== "=") fail(`expected = after ${attr}`);
      i++;
      skipSpace();
      const quote = doc[i];
      if (quote !== '"' && quote !== "'") fail(`expected a quoted value for ${attr}`);
      const end = doc.indexOf(quote!, i + 1);
      if (end < 0) fail(`unclosed value of ${attr}`);
      const raw = doc.slice(i + 1, end);
      if (raw.includes("<")) fail(`< in the value of ${attr}`);
      if (Object.hasOwn(attributes, attr)) fail(`attribute ${attr} repeated`);
      attributes[attr] = decode(raw, i + 1);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      if (i >= doc.length) fail(`<${name}> is not closed`);
      if (doc.startsWith("</", i)) {
        i += 2;
        const close = NAME.exec(doc.slice(i, i + 200))?.[0];
        if (close !== name) fail(`</${close ?? ""}> closes <${name}>`);
        i += name.length;
        skipSpace();
        if (doc[i] !== ">") fail("expected > ");
        i++;
        return { name, attributes, children, text };
      }
      if (doc.startsWith("<!--", i)) comment();
      else if (doc.startsWith("<![CDATA[", i)) {
        const end = doc.indexOf("]]>", i);
        if (end < 0) fail("unclosed CDATA section");
        text += doc.slice(i + 9, end);
        i = end + 3;
      } else if (doc.startsWith("<?", i)) {
        const end = doc.indexOf("?>", i);
        if (end < 0) fail("unclosed processing instruction");
        i = end + 2;
      } else if (doc[i] === "<") children.push(element());
      else {
        let end = doc.indexOf("<", i);
        if (end < 0) end = doc.length;
        const raw = doc.slice(i, end);
        const bad = raw.indexOf("]]>");
        if (bad >= 0) {
          i += bad;
          fail("]]> in text");
        }
        text += decode(raw, i);
        i = end;
      }
    }
  };

  misc();
  if (doc.startsWith("<!DOCTYPE", i)) fail("a DOCTYPE is not accepted");
  if (doc[i] !== "<") fail("expected the root element");
  const root = element();
  misc();
  if (i < doc.length) fail("content after the root element");
  return root;
}
