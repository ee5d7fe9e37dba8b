// The strict XML check the JUnit tests rely on: it must refuse what a CI parser refuses.
import { describe, expect, it } from "vitest";
import { escapeAttribute, escapeText, parseXml } from "../../src/report/index.js";

describe("parseXml", () => {
  it("reads elements, attributes, entities, character references, CDATA and comments", () => {
    const e = parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><a x="1 &amp; &#10;2" y='q'><b/>t &lt;&#x41;<![CDATA[<raw>]]><!-- in --></a>\n`);
    expect(e).toEqual({ name: "a", attributes: { x: "1 & \n2", y: "q" }, children: [{ name: "b", attributes: {}, children: [], text: "" }], text: "t <A<raw>" });
  });

  it.each([
    ["a mismatched tag", "<a><b></a></b>", /<\/a> closes <b>/],
    ["an unclosed root", "<a><b/>", /<a> is not closed/],
    ["a repeated attribute", '<a x="1" x="2"/>', /attribute x repeated/],
    ["an undefined entity", "<a>&nbsp;</a>", /undefined entity &nbsp;/],
    ["a bare ampersand", "<a>fish & chips</a>", /a bare &/],
    ["a NUL character", "<a>\u0000</a>", /U\+0000 is not allowed/],
    ["a reference to a control character", "<a>&#1;</a>", /character reference &#1; is not an XML character/],
    ["a lone surrogate", "<a>\ud800</a>", /U\+D800 is not allowed/],
    ["]]> in text", "<a>x ]]> y</a>", /\]\]> in text/],
    ["a DOCTYPE", '<!DOCTYPE a [<!ENTITY x "y">]><a/>', /a DOCTYPE is not accepted/],
    ["two roots", "<a/><b/>", /content after the root element/],
    ["< in an attribute", '<a x="<"/>', /< in the value of x/],
  ])("refuses %s, with line:column", (_, doc, message) => {
    expect(() => parseXml(doc)).toThrow(message);
    expect(() => parseXml(doc)).toThrow(/^\d+:\d+: /);
  });

  it("reads back what escapeText and escapeAttribute wrote", () => {
    const s = `a & b < c > d " e ' f ]]> g\n\th\r`;
    const e = parseXml(`<a v="${escapeAttribute(s)}">${escapeText(s)}</a>`);
    expect(e.attributes.v).toBe(s);
    expect(e.text).toBe(s);
  });
});
