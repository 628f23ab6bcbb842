export * from "./main";
export * from "./capacity-command";
export * from "./sizes";
