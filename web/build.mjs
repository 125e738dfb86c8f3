// Builds the web app into dist/ (embedded by functions/web at compile time): NHS.UK frontend's
// styles compiled with our settings, its script and images copied, our own files alongside.
import { compile } from "sass";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nhsuk = join(here, "node_modules", "nhsuk-frontend", "dist", "nhsuk");
const dist = join(here, "dist");

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets", "images"), { recursive: true });

const css = compile(join(here, "src", "app.scss"), {
  loadPaths: [join(here, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
if (/url\(\s*["']?(https?:)?\/\//.test(css.css)) {
  throw new Error("the compiled CSS still refers to another origin");
}
writeFileSync(join(dist, "app.css"), css.css);
// Without its source-map comment: nothing asks for a file we do not serve.
const js = readFileSync(join(nhsuk, "nhsuk-frontend.min.js"), "utf8").replace(/\/\/# sourceMappingURL=.*$/m, "");
writeFileSync(join(dist, "nhsuk-frontend.min.js"), js);
for (const f of readdirSync(join(nhsuk, "assets", "images"))) {
  cpSync(join(nhsuk, "assets", "images", f), join(dist, "assets", "images", f));
}
// The page and our ES modules (pages/ too); not the styles (compiled above) nor the type
// declarations tsc reads.
cpSync(join(here, "src"), dist, { recursive: true, filter: (f) => !/\.(d\.ts|scss)$/.test(f) });
// Every module announced in the page (modulepreload), so the browser fetches them at once
// instead of finding each import only when the module before it has arrived.
const modules = readdirSync(dist, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".js") && f !== "app.js")
  .sort()
  .map((f) => `  <link rel="modulepreload" href="/app/${f.split(sep).join("/")}">`);
const page = readFileSync(join(dist, "index.html"), "utf8");
if (!page.includes("<!-- modulepreload -->")) throw new Error("index.html has no <!-- modulepreload --> marker");
writeFileSync(join(dist, "index.html"), page.replace("  <!-- modulepreload -->", modules.join("\n")));
console.log(`web: built ${readdirSync(dist).length} entries into web/dist`);
