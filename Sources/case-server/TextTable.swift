/// A plain-text table for the CLI listings: each column as wide as its widest cell (header
/// included), two spaces between columns, the last column left ragged. A long subject or
/// device id widens its column instead of pushing the columns after it out of line.
struct TextTable {
    let header: [String]
    /// Columns whose cells are numbers, aligned right.
    var rightAligned: Set<Int> = []
    private var rows: [[String]] = []

    init(_ header: [String], rightAligned: Set<Int> = []) {
        self.header = header
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) {
        precondition(row.count == header.count, "a row has as many cells as the header")
        rows.append(row)
    }

    /// Header and rows, one line each, ending in a newline.
    func render() -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, cell) in cells.enumerated() {
                let last = i == cells.count - 1
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                if i > 0 { out += "  " }
                if rightAligned.contains(i) {
                    out += pad + cell
                } else {
                    out += last ? cell : cell + pad
                }
            }
            // An empty last cell leaves no trailing blanks.
            while out.last == " " { out.removeLast() }
            return out
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
