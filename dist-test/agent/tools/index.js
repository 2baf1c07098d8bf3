import * as Tool from "../Tool.js";
import { CalculatorTool } from "./Calculator.js";
import { ClockTool } from "./Clock.js";
import { CalculatorTool as CalculatorTool2 } from "./Calculator.js";
import { ClockTool as ClockTool2 } from "./Clock.js";
const BuiltinTools = Tool.toolkit(CalculatorTool, ClockTool);
export {
  BuiltinTools,
  CalculatorTool2 as CalculatorTool,
  ClockTool2 as ClockTool
};
//# sourceMappingURL=index.js.map
