// For consumers whose tsconfig resolves modules the Node 10 way (ignores package.json "exports").
export * from "./dist/desktop/thin-client";
