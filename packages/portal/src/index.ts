// The self-service portal: employees run their own desktop; admins see all of them.
export * from "./password";
export * from "./policy";
export * from "./config";
export * from "./cloud";
export * from "./discovery";
export * from "./app";
export * from "./server";
export * from "./stack-outputs";
export * from "./autostop";
