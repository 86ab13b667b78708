"""The tutorial's worked example, run by chainrule: every number read off the recorded graph.

    chainrule demo                      # everything, the tutorial's loss (or: python demo.py in the repo)
    chainrule demo --loss categorical   # the same with categorical cross-entropy
    chainrule demo --only 1,2           # just the forward and backward walkthrough
    chainrule demo --steps 2000 --optimizer adam --lr 0.05

Sections: 1 forward pass and loss; 2 backward pass and one SGD step, beside the tutorial's printed
numbers; 3 (within 1-2) where and why they differ; 4 what the tutorial left open (biases, batches,
equal weights, vanishing gradients); 5 a short training run; 6 pictures (SVG) and the step-through
explorer (HTML) into --out.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from . import experiments as ex
from . import matrices, terminal, text
from . import walkthrough as wt


def _finite(text: str) -> float:
    """A command-line number that is finite (``inf`` and ``nan`` parse as floats, and mean nothing here)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return x


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Work the backpropagation tutorial's 3-3-3-3 network (ReLU, sigmoid, softmax) exactly, "
        "side by side with the numbers the tutorial printed.",
        epilog="Sections: 1 forward, 2 backward + SGD step (3: the comparison marks and reasons are part of 1-2), "
        f"4 the tutorial's open questions, 5 training, 6 pictures. {terminal.EXIT_CODES}.",
    )
    parser.add_argument("--loss", choices=ex.LOSS_NAMES, default="tutorial",
                        help="'tutorial': its mean binary cross-entropy -(1/3)*sum(y log o + (1-y) log(1-o)) "
                        "(default); 'categorical': -sum(y log o)")
    parser.add_argument("--steps", type=int, default=200, help="training steps in section 5 (default 200)")
    parser.add_argument("--lr", type=_finite, default=0.05,
                        help="learning rate for section 5 (default 0.05; section 2 always uses the tutorial's 0.01)")
    parser.add_argument("--optimizer", "--optimiser", choices=("sgd", "adam"), default="sgd",
                        help="optimiser for section 5 (default sgd)")
    parser.add_argument("--init", choices=("tutorial", "random"), default="tutorial",
                        help="section 5 starts from the tutorial's weights (default) or a seeded random init")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for the random networks of sections 4 and 5 (default 0)")
    parser.add_argument("--only", default="1,2,4,5,6", metavar="LIST",
                        help="comma-separated sections to print (default 1,2,4,5,6)")
    parser.add_argument("--out", default="out", metavar="DIR",
                        help="folder for the SVG pictures and the explorer page of section 6 (default out/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar during long training runs")
    args = parser.parse_args(argv)
    try:
        args.sections = {int(s) for s in args.only.split(",") if s.strip()}
    except ValueError:
        parser.error(f"--only takes section numbers like 1,2,5; got {args.only!r}")
    if not args.sections <= {1, 2, 3, 4, 5, 6}:
        parser.error(f"--only: sections are 1 to 6; got {args.only!r}")
    if args.steps < 0:
        parser.error("--steps must be >= 0")
    if not args.lr > 0:
        parser.error("--lr must be positive")
    if 6 in args.sections and Path(args.out).exists() and not Path(args.out).is_dir():
        parser.error(f"--out {args.out!r} is a file; section 6 writes its pictures into a folder")
    return args


class Progress:
    """A one-line progress bar on stderr, only for long runs on a terminal (the tables go to stdout)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, step: int, total: int, loss: float) -> None:
        if not self.enabled or total < 500:
            return
        if step % max(1, total // 100) == 0 or step == total:
            done = round(30 * step / total) if total else 30
            end = "\n" if step == total else ""
            print(f"\r  training [{'#' * done}{'.' * (30 - done)}] {step}/{total}  loss {loss:.6f}",
                  end=end, file=sys.stderr, flush=True)


def pictures(out_dir: str) -> list[str]:
    """Section 6: the tutorial's pictures and its explorer page, written to ``out_dir``."""
    from . import pictures as draw  # here, not at the top: graphviz is imported only when pictures are asked for

    lines = ["", "== 6. Pictures ".ljust(text.WIDTH, "="), ""]
    paths = draw.write_tutorial_pictures(out_dir)
    lines.append(f"  Wrote {len(paths)} files to {_shown(Path(out_dir))}/:")
    lines += [f"    {p.name}" for p in paths]
    explorer = next((p for p in paths if p.suffix == ".html"), None)
    if explorer:
        lines.append("  To step through the forward and backward pass (arrow keys step, Home/End jump, space")
        lines.append("  plays; click a node for its record), open in a browser:")
        lines.append(f"    {_shown(explorer)}")
    return lines


def _shown(path: Path) -> str:
    """``path`` as the user can type it from here: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:  # outside the working folder: the path as given
        return str(path)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the walkthrough with command-line options ``argv`` (default ``sys.argv[1:]``); returns 0, or 2
    if training overflows (a huge ``--lr``) or the pictures cannot be written into ``--out`` (what was
    printed before stays printed)."""
    args = parse_args(argv, prog)
    show = args.sections
    walk = wt.build(args.loss)
    out: list[str] = []
    if show & {1, 2, 3}:  # section 3 (the comparison) is part of 1 and 2
        out += text.render_walkthrough(walk, forward=bool(show & {1, 3}), backward=bool(show & {2, 3}))
    if 4 in show:
        out += text.render_notes(
            walk,
            ex.batch_experiment(args.loss),
            ex.symmetry_experiment(args.loss),
            ex.vanishing_experiment(seed=args.seed, loss=args.loss),
        ) + matrices.section(args.loss)
    terminal.say("\n".join(out))
    if 5 in show:
        try:
            result = ex.train(args.loss, args.steps, args.lr, args.optimizer, args.seed, args.init,
                              progress=Progress(not args.no_progress))
        except ValueError as error:  # the engine refuses a number that overflowed: the options drove it there
            return terminal.fail(prog or "demo", f"training stopped: {error}; a smaller --lr keeps the numbers finite")
        terminal.say("\n".join(text.render_training(result, loss=args.loss, optimizer=args.optimizer, lr=args.lr,
                                                  init=args.init)))
    if 6 in show:
        try:
            lines = pictures(args.out)
        except OSError as error:
            return terminal.fail(prog or "demo",
                                 f"cannot write the pictures into --out {args.out!r}: {error.strerror or error}")
        terminal.say("\n".join(lines))
    return terminal.OK


if __name__ == "__main__":
    sys.exit(main())
