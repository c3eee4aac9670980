//! Finishing a function's control-flow graph: drop unreachable blocks, bypass empty
//! jump blocks, merge straight-line chains, number blocks in reverse post-order.
//! Each instruction's and terminator's source span travels with it.

use super::func::{CodeSpans, RawBlock, block_id};
use braid_bytecode::{BasicBlock, Reg, Regs, Terminator};

/// Turns the blocks built by lowering (block 0 the entry) into the function's code,
/// with the source spans of its instructions and terminators (same shape).
pub(super) fn finish(raw: Vec<RawBlock>) -> (Vec<BasicBlock>, CodeSpans) {
    let mut spans: CodeSpans = Vec::with_capacity(raw.len());
    let mut blocks: Vec<BasicBlock> = raw
        .into_iter()
        .map(|b| {
            spans.push((b.spans, b.term_span));
            BasicBlock {
                instrs: b.instrs,
                // Every block the lowering switches away from is terminated, and the last
                // one gets the function's return; an unterminated block is unreachable.
                term: b.term.unwrap_or(Terminator::Return(Regs {
                    start: Reg(0),
                    n: 0,
                })),
            }
        })
        .collect();
    let n = blocks.len();
    if n == 0 {
        return (blocks, spans);
    }

    // Bypass blocks that hold nothing but a jump (never the entry).
    let forward: Vec<usize> = (0..n).map(|b| thread(&blocks, b)).collect();
    for b in &mut blocks {
        retarget(&mut b.term, |t| forward.get(t).copied().unwrap_or(t));
        if let Terminator::Branch { then, els, .. } = b.term
            && then == els
        {
            b.term = Terminator::Jump(then);
        }
    }

    // Count predecessors among reachable blocks.
    let reachable = reverse_post_order(&blocks);
    let mut preds = vec![0u32; n];
    for &b in &reachable {
        for s in successors(&blocks[b].term) {
            if let Some(p) = preds.get_mut(s) {
                *p += 1;
            }
        }
    }

    // Merge a block into its jump target when it is the target's only way in.
    let mut alive = vec![true; n];
    for &a in &reachable {
        if !alive[a] {
            continue;
        }
        while let Terminator::Jump(t) = blocks[a].term {
            let t = t.0 as usize;
            if t == 0 || t == a || t >= n || preds[t] != 1 || !alive[t] {
                break;
            }
            alive[t] = false;
            let taken = std::mem::take(&mut blocks[t].instrs);
            blocks[a].instrs.extend(taken);
            blocks[a].term = blocks[t].term.clone();
            let (taken, term_span) = std::mem::take(&mut spans[t]);
            spans[a].0.extend(taken);
            spans[a].1 = term_span;
        }
    }

    // Renumber in reverse post-order from the entry.
    let order = reverse_post_order(&blocks);
    let mut new_index = vec![usize::MAX; n];
    for (i, &b) in order.iter().enumerate() {
        new_index[b] = i;
    }
    let mut out = Vec::with_capacity(order.len());
    let mut out_spans = Vec::with_capacity(order.len());
    for &b in &order {
        out_spans.push(std::mem::take(&mut spans[b]));
        let mut block = std::mem::replace(
            &mut blocks[b],
            BasicBlock {
                instrs: Vec::new(),
                term: Terminator::Revert(0),
            },
        );
        retarget(&mut block.term, |t| new_index.get(t).copied().unwrap_or(t));
        out.push(block);
    }
    (out, out_spans)
}

/// Where a jump to `b` really leads after bypassing empty jump-only blocks.
fn thread(blocks: &[BasicBlock], b: usize) -> usize {
    let mut cur = b;
    for _ in 0..blocks.len() {
        match blocks.get(cur) {
            Some(BasicBlock {
                instrs,
                term: Terminator::Jump(t),
            }) if cur != 0 && instrs.is_empty() && t.0 as usize != cur => cur = t.0 as usize,
            _ => break,
        }
    }
    cur
}

/// Rewrites the block targets of a terminator.
fn retarget(term: &mut Terminator, f: impl Fn(usize) -> usize) {
    match term {
        Terminator::Jump(t) => *t = block_id(f(t.0 as usize)),
        Terminator::Branch { then, els, .. } => {
            *then = block_id(f(then.0 as usize));
            *els = block_id(f(els.0 as usize));
        }
        Terminator::Return(_) | Terminator::Revert(_) => {}
    }
}

/// The successors of a block, `then` before `else`.
fn successors(term: &Terminator) -> Vec<usize> {
    match term {
        Terminator::Jump(t) => vec![t.0 as usize],
        Terminator::Branch { then, els, .. } => vec![then.0 as usize, els.0 as usize],
        Terminator::Return(_) | Terminator::Revert(_) => Vec::new(),
    }
}

/// The blocks reachable from block 0, in reverse post-order (a branch's `then` side
/// first, so code reads in source order).
fn reverse_post_order(blocks: &[BasicBlock]) -> Vec<usize> {
    let n = blocks.len();
    let mut visited = vec![false; n];
    let mut post = Vec::with_capacity(n);
    // (block, its successors still to visit, in visiting order)
    let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
    if n > 0 {
        visited[0] = true;
        let mut succ = successors(&blocks[0].term);
        succ.reverse();
        stack.push((0, succ));
    }
    while let Some((b, pending)) = stack.last_mut() {
        match pending.first().copied() {
            Some(s) => {
                pending.remove(0);
                if s < n && !visited[s] {
                    visited[s] = true;
                    let mut succ = successors(&blocks[s].term);
                    succ.reverse();
                    stack.push((s, succ));
                }
            }
            None => {
                post.push(*b);
                stack.pop();
            }
        }
    }
    post.reverse();
    post
}
