// Types for NHS.UK frontend's ES module, which the build copies next to our modules
// (dist/nhsuk-frontend.min.js): the package's own declarations.
export * from "../node_modules/nhsuk-frontend/dist/nhsuk/index.mjs";
