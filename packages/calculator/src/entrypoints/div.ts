// Bundle entry point of the div operation service.
import { runOperation } from "../main";

runOperation("div", process.argv.slice(2), process.env);
