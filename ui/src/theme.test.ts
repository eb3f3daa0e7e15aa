// Checks the colours of styles.css against WCAG 2.2 AA in both schemes: 4.5:1 for text, and
// 3:1 for focus rings against the surfaces they are drawn on (non-text contrast, 1.4.11).
// The pairs come from two places: every rule that sets both `color` and a background from the
// palette, and a list of text that inherits its colour onto a background set elsewhere.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CSS = readFileSync(join(import.meta.dirname, "styles.css"), "utf8");

/** Minimum contrast ratios of WCAG 2.2 AA. */
const BODY_TEXT = 4.5;
const NON_TEXT = 3;

type Pair = { foreground: string; background: string; minimum: number; where: string };

/** Text that inherits its colour, or focus rings, on backgrounds set by another rule. */
const INHERITED_PAIRS: Pair[] = [
  { foreground: "--text", background: "--bg", minimum: BODY_TEXT, where: "page text" },
  { foreground: "--text", background: "--surface", minimum: BODY_TEXT, where: "panels, rows" },
  {
    foreground: "--text",
    background: "--surface-2",
    minimum: BODY_TEXT,
    where: "buttons, hovered rows",
  },
  {
    foreground: "--text",
    background: "--accent-soft",
    minimum: BODY_TEXT,
    where: "current row, current screen",
  },
  { foreground: "--muted", background: "--bg", minimum: BODY_TEXT, where: "help text" },
  { foreground: "--muted", background: "--surface", minimum: BODY_TEXT, where: "help in panels" },
  {
    foreground: "--muted",
    background: "--surface-2",
    minimum: BODY_TEXT,
    where: "table headers",
  },
  { foreground: "--accent", background: "--surface", minimum: BODY_TEXT, where: "link buttons" },
  { foreground: "--accent", background: "--bg", minimum: BODY_TEXT, where: "link buttons" },
  {
    foreground: "--accent",
    background: "--surface-2",
    minimum: BODY_TEXT,
    where: "link buttons in hovered rows",
  },
  {
    foreground: "--danger",
    background: "--surface",
    minimum: BODY_TEXT,
    where: "Delete buttons, failed states",
  },
  {
    foreground: "--danger",
    background: "--danger-soft",
    minimum: BODY_TEXT,
    where: "error titles",
  },
  {
    foreground: "--success",
    background: "--surface",
    minimum: BODY_TEXT,
    where: "finished jobs",
  },
  { foreground: "--focus", background: "--bg", minimum: NON_TEXT, where: "focus ring" },
  { foreground: "--focus", background: "--surface", minimum: NON_TEXT, where: "focus ring" },
  { foreground: "--focus", background: "--surface-2", minimum: NON_TEXT, where: "focus ring" },
  {
    foreground: "--focus",
    background: "--accent-soft",
    minimum: NON_TEXT,
    where: "focus ring on the current row",
  },
];

/** Returns the custom properties declared in a block of declarations. */
function customProperties(block: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const match of block.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) {
    properties.set(match[1] ?? "", (match[2] ?? "").trim());
  }
  return properties;
}

/** Returns the text between the braces that open at `open`. */
function blockAt(css: string, open: number): string {
  let depth = 0;
  for (let index = open; index < css.length; index += 1) {
    if (css[index] === "{") {
      depth += 1;
    } else if (css[index] === "}") {
      depth -= 1;
      if (depth === 0) {
        return css.slice(open + 1, index);
      }
    }
  }
  throw new Error(`styles.css has an unclosed block at offset ${open}.`);
}

/** Returns the light palette (the first `:root`) and the dark one (the media query's `:root`). */
function palettes(css: string): { light: Map<string, string>; dark: Map<string, string> } {
  const root = css.indexOf(":root {");
  const media = css.indexOf("@media (prefers-color-scheme: dark)");
  if (root === -1 || media === -1) {
    throw new Error("styles.css needs a :root block and a prefers-color-scheme: dark block.");
  }
  const darkBlock = blockAt(css, css.indexOf("{", media));
  const darkRoot = darkBlock.indexOf(":root");
  if (darkRoot === -1) {
    throw new Error("The prefers-color-scheme: dark block of styles.css has no :root.");
  }
  const light = customProperties(blockAt(css, css.indexOf("{", root)));
  const dark = new Map([
    ...light,
    ...customProperties(blockAt(darkBlock, darkBlock.indexOf("{", darkRoot))),
  ]);
  return { light, dark };
}

/** Returns the pairs of rules that set both a palette `color` and a palette background. */
function pairsFromRules(css: string): Pair[] {
  const withoutComments = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const pairs: Pair[] = [];
  for (const rule of withoutComments.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    const selector = (rule[1] ?? "").trim();
    const body = rule[2] ?? "";
    const color = /(?:^|;|\s)color:\s*var\((--[\w-]+)\)/.exec(body)?.[1];
    const background = /background(?:-color)?:\s*var\((--[\w-]+)\)/.exec(body)?.[1];
    if (color !== undefined && background !== undefined) {
      pairs.push({ foreground: color, background, minimum: BODY_TEXT, where: selector });
    }
  }
  return pairs;
}

/** Parses #rgb or #rrggbb into channels from 0 to 255. */
function parseHex(value: string): [number, number, number] {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value)?.[1];
  if (hex === undefined) {
    throw new Error(
      `"${value}" is not a #rgb or #rrggbb colour; the contrast test reads only those.`,
    );
  }
  const full = hex.length === 3 ? [...hex].map((digit) => digit + digit).join("") : hex;
  return [0, 2, 4].map((offset) => Number.parseInt(full.slice(offset, offset + 2), 16)) as [
    number,
    number,
    number,
  ];
}

/** Returns the relative luminance of WCAG 2.2. */
function luminance(value: string): number {
  const [red, green, blue] = parseHex(value).map((channel) => {
    const linear = channel / 255;
    return linear <= 0.04045 ? linear / 12.92 : ((linear + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
}

/** Returns the contrast ratio of two colours, from 1 to 21. */
function contrast(first: string, second: string): number {
  const [lighter, darker] = [luminance(first), luminance(second)].sort((a, b) => b - a) as [
    number,
    number,
  ];
  return (lighter + 0.05) / (darker + 0.05);
}

const { light, dark } = palettes(CSS);
const RULE_PAIRS = pairsFromRules(CSS);

describe("colour contrast", () => {
  it("contrast matches WCAG examples", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrast("#fff", "#fff")).toBe(1);
  });

  it("rules with both colours are found", () => {
    const found = RULE_PAIRS.map((pair) => `${pair.foreground} on ${pair.background}`);

    expect(found).toContain("--accent-text on --accent");
    expect(found).toContain("--warning on --warning-soft");
    expect(found).toContain("--success on --success-soft");
    expect(found).toContain("--danger on --danger-soft");
  });

  it("both palettes define the same names", () => {
    expect([...dark.keys()].sort()).toEqual([...light.keys()].sort());
    expect(light.size).toBeGreaterThan(10);
  });

  for (const [scheme, palette] of [
    ["light", light],
    ["dark", dark],
  ] as const) {
    it.each([...RULE_PAIRS, ...INHERITED_PAIRS])(
      `${scheme}: $foreground on $background ($where)`,
      ({ foreground, background, minimum }) => {
        const text = palette.get(foreground);
        const surface = palette.get(background);
        expect(text, `${foreground} is defined`).toBeDefined();
        expect(surface, `${background} is defined`).toBeDefined();

        const ratio = contrast(text ?? "", surface ?? "");

        expect(
          ratio,
          `${foreground} ${text} on ${background} ${surface} is ${ratio.toFixed(2)}:1`,
        ).toBeGreaterThanOrEqual(minimum);
      },
    );
  }
});
