// Bundle entry point of the mul operation service.
import { runOperation } from "../main";

runOperation("mul", process.argv.slice(2), process.env);
