#!/usr/bin/env python3
"""Expand the hand-typed statutory tables of pingtan-2023-xxgk-nianbao.txt
into gold metrics (tests/gold/README.md, "Table cells of the 2023 report").

Every heading and number below was typed by hand from
../shared/fixtures/reports/pingtan-2023-xxgk-nianbao.txt, reading the
flattened digit runs against the columns of the statutory form
(国办公开办函〔2021〕30号) and checking the row and column sums. Nothing
here reads parser output.

usage: tools/gold-pingtan-2023-tables.py tests/gold/pingtan-2023-xxgk-nianbao.json
Rewrites the file: its prose metrics (all in section 1) are kept, its
table metrics (sections 2, 3 and 4, which hold only the tables) are replaced.
"""
import json
import sys

YEAR = 2023
TABLE_SECTIONS = ("2", "3", "4")
SEP = "·"

# 二、主动公开政府信息情况: (row heading, [(column heading, unit, value)], digit run)
SEC2 = [
    ("规章", [("本年制发件数", "件", 0), ("本年废止件数", "件", 0), ("现行有效件数", "件", 0)], "规章000"),
    # 行政规范性文件77132470: left out, see README
    ("行政许可", [("本年处理决定数量", "", 2629)], "行政许可2629"),
    ("行政处罚", [("本年处理决定数量", "", 1330)], "行政处罚1330"),
    ("行政强制", [("本年处理决定数量", "", 54)], "行政强制54"),
    # 本年收费金额（单位：万元）: 5949.088667万元 = 59490886.67元
    ("行政事业性收费", [("本年收费金额", "元", 59490886.67)], "行政事业性收费5949.088667"),
]

# 三、收到和处理政府信息公开申请情况: columns under 申请人情况
COLS3 = ["自然人", "法人或其他组织·商业企业", "法人或其他组织·科研机构",
         "法人或其他组织·社会公益组织", "法人或其他组织·法律服务机构",
         "法人或其他组织·其他", "总计"]
B = "本年度办理结果"
ROWS3 = [
    # (row heading path, label_key, digit run as printed, cells)
    ("本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量", "801000081", [80, 1, 0, 0, 0, 0, 81]),
    ("上年结转政府信息公开申请数量", "上年结转政府信息公开申请数量", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·予以公开", "予以公开", "220000022", [22, 0, 0, 0, 0, 0, 22]),
    (B + "·部分公开", "部分公开", "191000020", [19, 1, 0, 0, 0, 0, 20]),
    (B + "·不予公开·属于国家秘密", "属于国家秘密", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·不予公开·其他法律行政法规禁止公开", "其他法律行政法规禁止公开", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·不予公开·危及“三安全一稳定”", "危及三安全一稳定", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·不予公开·保护第三方合法权益", "保护第三方合法权益", "1000001", [1, 0, 0, 0, 0, 0, 1]),
    (B + "·不予公开·属于三类内部事务信息", "属于三类内部事务信息", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·不予公开·属于四类过程性信息", "属于四类过程性信息", "1000001", [1, 0, 0, 0, 0, 0, 1]),
    (B + "·不予公开·属于行政执法案卷", "属于行政执法案卷", "1000001", [1, 0, 0, 0, 0, 0, 1]),
    (B + "·不予公开·属于行政查询事项", "属于行政查询事项", "2000002", [2, 0, 0, 0, 0, 0, 2]),
    (B + "·无法提供·本机关不掌握相关政府信息", "本机关不掌握相关政府信息", "310000031", [31, 0, 0, 0, 0, 0, 31]),
    (B + "·无法提供·没有现成信息需要另行制作", "没有现成信息需要另行制作", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·无法提供·补正后申请内容仍不明确", "补正后申请内容仍不明确", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·不予处理·信访举报投诉类申请", "信访举报投诉类申请", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·不予处理·重复申请", "重复申请", "1000001", [1, 0, 0, 0, 0, 0, 1]),
    (B + "·不予处理·要求提供公开出版物", "要求提供公开出版物", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·不予处理·无正当理由大量反复申请", "无正当理由大量反复申请", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·不予处理·要求行政机关确认或重新出具已获取信息", "要求行政机关确认或重新出具已获取信息", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·其他处理·申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
     "申请人无正当理由逾期不补正", "1000001", [1, 0, 0, 0, 0, 0, 1]),
    (B + "·其他处理·申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
     "申请人逾期未按收费通知要求缴纳费用", "0000000", [0, 0, 0, 0, 0, 0, 0]),
    (B + "·其他处理·其他", "其他处理", "1000001", [1, 0, 0, 0, 0, 0, 1]),
    (B + "·总计", B, "801000081", [80, 1, 0, 0, 0, 0, 81]),
    ("结转下年度继续办理", "结转下年度继续办理", "0000000", [0, 0, 0, 0, 0, 0, 0]),
]

# 四、政府信息公开行政复议、行政诉讼情况: one row, fifteen columns
RES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
SEC4 = [("行政复议", "行政复议", [1, 1, 0, 0, 2]),
        ("行政诉讼·未经复议直接起诉", "未经复议直接起诉", [4, 0, 0, 1, 5]),
        ("行政诉讼·复议后起诉", "复议后起诉", [1, 0, 1, 0, 2])]
RUN4 = "110024001510102"

# A cell gets a key only when it is the dictionary's indicator itself.
KEYS = {
    "本年新收政府信息公开申请数量·总计": "政府信息公开申请",
    "本年度办理结果·总计·总计": "政府信息公开申请办结",
    "行政复议·总计": "政府信息公开行政复议",
}


def check():
    for row, _, run, cells in ROWS3:
        assert "".join(str(c) for c in cells) == run, row
        assert sum(cells[:6]) == cells[6], row
    by = {r[0]: r[3] for r in ROWS3}
    total = by[B + "·总计"]
    parts = [r[3] for r in ROWS3 if r[0].startswith(B + "·") and r[0] != B + "·总计"]
    for i in range(7):
        assert sum(p[i] for p in parts) == total[i], i
    new, carried, left = by["本年新收政府信息公开申请数量"], by["上年结转政府信息公开申请数量"], \
        by["结转下年度继续办理"]
    for i in range(7):  # 第一项加第二项之和，等于第三项加第四项之和
        assert new[i] + carried[i] == total[i] + left[i], i
    run = ""
    for _, _, cells in SEC4:
        assert sum(cells[:4]) == cells[4]
        run += "".join(str(c) for c in cells)
    assert run == RUN4


def cell(label, label_key, value, unit, section, context):
    return {"context": context, "value": value, "unit": unit, "qualifier": None,
            "label_key": label_key, "section_path": section, "label": label,
            "measure": "level", "target": False, "year": YEAR,
            "key": KEYS.get(label)}


def cells():
    out = []
    for row, cols, run in SEC2:
        for col, unit, value in cols:
            out.append(cell(row + SEP + col, row, value, unit, "2", run))
    for row, lk, run, values in ROWS3:
        for col, value in zip(COLS3, values):
            out.append(cell(row + SEP + col, lk, value, "", "3", run))
    for group, lk, values in SEC4:
        for col, value in zip(RES, values):
            out.append(cell(group + SEP + col, lk, value, "", "4", RUN4))
    return out


def main():
    check()
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        gold = json.load(f)
    prose = [m for m in gold["metrics"] if m["section_path"] not in TABLE_SECTIONS]
    gold["metrics"] = prose + cells()
    with open(path, "w", encoding="utf-8") as f:
        json.dump(gold, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(prose)} prose metrics, {len(gold['metrics']) - len(prose)} table cells")


if __name__ == "__main__":
    main()
