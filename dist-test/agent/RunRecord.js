//# sourceMappingURL=RunRecord.js.map
