export * from "./main";
export * from "./capacity-command";
export * from "./check-command";
export * from "./sizes";
export * from "./portal-command";
