/**
 * The tools every agent gets.
 */
import * as Tool from "../Tool.js"
import { CalculatorTool } from "./Calculator.js"
import { ClockTool } from "./Clock.js"

export { CalculatorTool } from "./Calculator.js"
export { ClockTool } from "./Clock.js"

/** The built-in toolkit: `calculator` and `clock`. */
export const BuiltinTools: Tool.Toolkit = Tool.toolkit(CalculatorTool, ClockTool)
