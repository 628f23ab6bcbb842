export * from "./layout";
export * from "./clouds-yaml";
export * from "./rest";
export { up } from "./up";
export { down, status, env } from "./control";
