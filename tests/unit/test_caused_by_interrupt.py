"""``caused_by_interrupt``: a KeyboardInterrupt anywhere in an exception's cause/context chain, cycles ignored."""

from __future__ import annotations

from huikuan.domain.errors import caused_by_interrupt


def _chained(inner: BaseException, outer: Exception, *, as_cause: bool) -> Exception:
    try:
        try:
            raise inner
        except BaseException as e:
            raise outer from (e if as_cause else None)
    except Exception as got:
        return got


def test_the_chain_is_followed():
    assert caused_by_interrupt(KeyboardInterrupt())
    assert caused_by_interrupt(_chained(KeyboardInterrupt(), RuntimeError("driver"), as_cause=False))  # context
    assert caused_by_interrupt(_chained(KeyboardInterrupt(), RuntimeError("driver"), as_cause=True))
    deep = _chained(_chained(KeyboardInterrupt(), ValueError("psycopg"), as_cause=False), RuntimeError("sa"),
                    as_cause=True)
    assert caused_by_interrupt(deep)
    assert not caused_by_interrupt(_chained(ValueError("x"), RuntimeError("y"), as_cause=True))
    assert not caused_by_interrupt(RuntimeError("plain"))


def test_a_cycle_ends():
    a, b = RuntimeError("a"), RuntimeError("b")
    a.__context__, b.__context__ = b, a
    assert not caused_by_interrupt(a)
