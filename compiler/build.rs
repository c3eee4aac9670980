//! Generates the parser from `src/grammar.lalrpop`.
fn main() {
    lalrpop::process_src().expect("the grammar compiles: lalrpop reports its own errors");
}
