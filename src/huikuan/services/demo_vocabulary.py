"""The demo company's vocabulary: debtor kinds and their shares, places, name words, people's names,
contact habits, and what debtors say (excuses and dispute notes) — the words ``demo_data`` builds a
book from and ``demo_load`` replays the follow-up with."""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
YUAN = 100  # fen per yuan


class DebtorKind(StrEnum):
    GOOD = "good"
    SLOW = "slow"
    DELIBERATE = "deliberate"  # 恶意欠款
    TECHNICAL = "technical"  # 技术性欠款
    COMPETITIVE = "competitive"  # 竞争性欠款
    GRIEVANCE = "grievance"  # 原由性欠款


# Shares in percent; every kind appears once a company has six customers or more.
KIND_SHARES = ((DebtorKind.GOOD, 40), (DebtorKind.SLOW, 25), (DebtorKind.TECHNICAL, 10),
               (DebtorKind.COMPETITIVE, 10), (DebtorKind.GRIEVANCE, 8), (DebtorKind.DELIBERATE, 7))

# (name prefix, province, region). Prefixes are written the way company names use them.
PLACES = (
    ("成都", "四川", "西南"), ("成都市武侯区", "四川", "西南"), ("绵阳", "四川", "西南"), ("重庆", "重庆", "西南"),
    ("重庆市渝北区", "重庆", "西南"), ("昆明", "云南", "西南"), ("贵阳", "贵州", "西南"),
    ("广州", "广东", "华南"), ("佛山市南海区", "广东", "华南"), ("佛山市顺德区", "广东", "华南"),
    ("东莞", "广东", "华南"), ("深圳市宝安区", "广东", "华南"), ("中山", "广东", "华南"), ("南宁", "广西", "华南"),
    ("厦门", "福建", "华南"), ("泉州", "福建", "华南"),
    ("上海", "上海", "华东"), ("杭州", "浙江", "华东"), ("宁波", "浙江", "华东"), ("义乌", "浙江", "华东"),
    ("温州市瓯海区", "浙江", "华东"), ("苏州", "江苏", "华东"), ("无锡", "江苏", "华东"), ("南京", "江苏", "华东"),
    ("常州市武进区", "江苏", "华东"), ("合肥", "安徽", "华东"), ("济南", "山东", "华东"), ("临沂", "山东", "华东"),
    ("青岛", "山东", "华东"), ("北京", "北京", "华北"), ("天津", "天津", "华北"), ("石家庄", "河北", "华北"),
    ("保定", "河北", "华北"), ("太原", "山西", "华北"), ("郑州", "河南", "华中"), ("武汉", "湖北", "华中"),
    ("长沙", "湖南", "华中"), ("南昌", "江西", "华中"), ("西安", "陕西", "西北"), ("兰州", "甘肃", "西北"),
    ("沈阳", "辽宁", "东北"), ("哈尔滨", "黑龙江", "东北"),
)
WORDS = (
    "蓉信", "明辉", "鑫达", "恒通", "宏远", "华盛", "金源", "瑞丰", "永安", "联创", "盛世", "嘉禾", "天润", "博远",
    "新宇", "汇丰", "正泰", "隆昌", "兴业", "富源", "佳美", "鼎盛", "万通", "德顺", "广源", "中恒", "东方红",
    "顺发", "昌盛", "晨光", "海纳", "锦程", "润达", "宝丰", "荣华", "益民", "诚信", "亿家", "通达", "启航",
    "安泰", "福临", "百川", "金桥", "龙腾", "聚贤", "美家", "鸿运",
)
SUFFIXES = {
    "dealer": ("商贸有限公司", "五金经营部", "建材商行", "贸易有限公司", "电器销售中心", "百货批发部",
               "日用品经营部", "五金机电有限公司", "水暖器材店", "商贸行"),
    "enterprise": ("机械制造有限公司", "电子科技有限公司", "实业有限公司", "食品有限公司", "家具有限公司",
                   "包装材料有限公司", "汽车配件有限公司", "建设工程有限公司"),
    "export": ("进出口有限公司", "国际贸易有限公司", "外贸有限公司"),
}
GOVERNMENT_UNITS = ("市第一人民医院", "区教育局", "市政工程管理处", "县交通运输局", "市职业技术学院",
                    "区机关事务管理局", "市水务局", "街道办事处", "区人民医院", "市公安局后勤处")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "春梅", "国庆", "丽娟", "文斌", "红梅",
         "建国", "玉兰", "小军", "亚男", "思远", "子豪", "欣怡", "浩然", "雨萱")
BEST_TIMES = ("15:30-17:00", "09:30-11:30", "14:00-16:00", "周一上午", "每月初", "下午三点半左右", "10:00-11:00")
SEGMENT = {"dealer": "经销", "enterprise": "直营", "government": "政府", "export": "出口"}

EXCUSE_NOTES = {
    "payer_away": "负责付款的财务不在，说回来再安排",
    "no_money": "账上暂时没钱，等下游回款",
    "not_due": "对方认为还没到期",
    "goods_unsold": "上批货还没卖完，卖完再付",
    "buyers_unpaid": "他们的客户还没付款给他们",
    "quality": "客户投诉上批货有质量问题，要求先处理",
    "documents_missing": "缺增值税专用发票，发票到了才能付",
    "statement_mismatch": "对账单金额对不上，要求重新对账",
    "boss_travelling": "老板出差，回来签字才能付",
    "in_approval": "付款申请在走审批流程",
}
DISPUTE_NOTES = {
    "quality": "部分货物质量不合格，客户要求退换",
    "short_delivery": "到货数量比送货单少",
    "damaged": "运输途中包装破损",
    "documents_missing": "缺质检报告和专用发票",
    "rebate_owed": "上季度返利未兑现，客户要求先抵扣",
    "promotion_owed": "促销支持费用未兑现",
    "pricing": "开票单价与合同价不符",
}

WARM_UP_OUTCOMES = (("reached", 30), ("no_answer", 25), ("promised", 25), ("left_message", 10), ("refused", 5),
                    ("disputed", 5))
