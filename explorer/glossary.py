"""The explorer's one glossary, English ↔ 简体中文: the words of ResNet notes in both languages.

Every Chinese text of the explorer says each term the same way (``tests/test_language.py`` checks the whole
catalog against :data:`TERMS`); Home shows the glossary, and the README lists it for teachers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A term: how the English texts write it (``english``, a regular expression that finds it in them, ``found``)
    and how every Chinese text writes it (``chinese``; ``also``: other names Chinese notes use)."""

    english: str
    chinese: str
    found: str
    also: str = ""

    def in_english(self, text: str) -> bool:
        """Whether the English ``text`` uses this term."""
        return re.search(self.found, text, flags=re.IGNORECASE) is not None


TERMS = (
    Term("residual network", "残差网络", r"\bresidual (?:net|network)s?\b"),
    Term("residual block", "残差块", r"\bresidual blocks?\b", also="残差结构"),
    Term("identity mapping", "恒等映射", r"\bidentity mappings?\b"),
    Term("shortcut (connection)", "快捷连接", r"\bshortcuts?\b", also="shortcut"),
    Term("skip connection", "跳跃连接", r"\bskip connections?\b"),
    Term("projection shortcut (1×1 convolution)", "投影快捷连接", r"\bprojection shortcuts?\b"),
    Term("BasicBlock", "基本块", r"\bbasic ?blocks?\b"),
    Term("Bottleneck", "瓶颈结构", r"\bbottlenecks?\b"),
    Term("vanishing gradient", "梯度消失", r"\bvanishing gradients?\b|\bgradients? vanish"),
    Term("exploding gradient", "梯度爆炸", r"\bexploding gradients?\b|\bgradients? explode"),
    Term("degradation problem", "退化问题", r"\bdegradation problem\b"),
    Term("batch normalization (BN)", "批归一化", r"\bbatch[ -]norm(?:alization)?\b"),
    Term("global average pooling", "全局平均池化", r"\bglobal average pool(?:ing)?\b"),
    Term("feature map", "特征图", r"\bfeature maps?\b"),
    Term("transfer learning", "迁移学习", r"\btransfer learning\b"),
    Term("freeze", "冻结", r"\bfr(?:eeze|ozen|eezing)\b"),
    Term("fine-tune", "微调", r"\bfine-tun(?:e|ed|es|ing)\b"),
    Term("receptive field", "感受野", r"\breceptive fields?\b"),
    Term("effective receptive field", "有效感受野", r"\beffective receptive fields?\b"),
    Term("loss landscape", "损失曲面", r"\bloss landscapes?\b"),
    Term("pre-activation", "预激活", r"\bpre-activation\b"),
    Term("plain network", "普通网络", r"\bplain (?:net|network)s?\b"),
)


def rows() -> list[dict[str, str]]:
    """The glossary as table rows: English, 中文 (with the other names Chinese notes use)."""
    return [
        {"English": term.english, "中文": term.chinese + (f"（{term.also}）" if term.also else "")} for term in TERMS
    ]
