//! From the scenario's tables to concrete deployments, transactions and checks: names
//! resolved to addresses, arguments parsed against the deployed functions' types.

use super::contracts::LoadedContract;
use super::senders::{RawSender, SubAccounts};
use crate::receipt_json::address_text;
use crate::scenario::args::{Address, Names, is_raw_address, parse_typed, parse_untyped};
use crate::scenario::expect::{EventTypes, Expectation};
use crate::scenario::{ExpectSpec, Scenario, ScenarioError};
use braid_bytecode::{Module, U256, ValueType};
use braid_vm::{BlockContext, Chain, Transaction};
use std::collections::{BTreeMap, BTreeSet};

/// A transaction's gas limit when the scenario gives none.
pub const DEFAULT_GAS: u64 = 10_000_000;

/// What a planned call is: a transaction of a block or a read-only check after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// A transaction (`txs`), which may carry an `expect`.
    Tx,
    /// A `[[block.check]]` call.
    Check,
}

impl CallKind {
    /// The name used in the `--json` output (`"tx"` or `"check"`).
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Tx => "tx",
            CallKind::Check => "check",
        }
    }
}

/// A deployed instance: its name, contract and address.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// The instance name (`@name` in arguments).
    pub name: String,
    /// The contract's name.
    pub contract: String,
    /// Its address.
    pub address: Address,
}

/// What planning the scenario found out besides the blocks: the raw senders to check
/// and the sub-accounts every call derives (see [`super::senders`]).
#[derive(Debug, Default)]
pub struct SenderAudit {
    /// Senders written as `0x` addresses.
    pub raw: Vec<RawSender>,
    /// Sub-accounts derived by the calls' access summaries.
    pub subs: SubAccounts,
}
/// A call (transaction or check): what to run and how to report it.
#[derive(Debug)]
pub struct PlannedCall {
    /// What to run.
    pub tx: Transaction,
    /// How to report it.
    pub info: CallInfo,
}

/// How to report a call and what its receipt must show.
#[derive(Debug)]
pub struct CallInfo {
    /// The function called.
    pub function: String,
    /// The `to` shown in receipts: the instance name, or the address.
    pub to_label: String,
    /// Where it is in the scenario (for messages).
    pub place: String,
    /// The line of its table.
    pub line_offset: usize,
    /// What its receipt must show.
    pub expect: Expectation,
    /// A transaction or a check.
    pub kind: CallKind,
    /// Its index among the block's transactions (or checks).
    pub index: usize,
}

/// One block, ready to run.
#[derive(Debug)]
pub struct PlannedBlock {
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
    /// Its transactions in order.
    pub txs: Vec<Transaction>,
    /// How to report each transaction (same order).
    pub tx_infos: Vec<CallInfo>,
    /// Read-only calls after it.
    pub checks: Vec<PlannedCall>,
}

impl PlannedBlock {
    /// The block context.
    pub fn context(&self) -> BlockContext {
        BlockContext {
            number: self.number,
            timestamp: self.timestamp,
        }
    }
}

/// The names known before deployment: the declared accounts, if any.
pub fn initial_names(scenario: &Scenario) -> Result<Names, ScenarioError> {
    let accounts = match &scenario.file.accounts {
        None => None,
        Some(list) => {
            let mut set = BTreeSet::new();
            for name in list {
                if name.is_empty() || name.starts_with('@') || name.starts_with("0x") {
                    return Err(scenario.error(
                        None,
                        format!("accounts: \"{name}\" is not a valid account name"),
                    ));
                }
                if !set.insert(name.clone()) {
                    return Err(
                        scenario.error(None, format!("accounts: \"{name}\" is listed twice"))
                    );
                }
            }
            Some(set)
        }
    };
    Ok(Names {
        instances: BTreeMap::new(),
        accounts,
    })
}

/// Runs the `[[deploy]]` tables in order as block 0; adds each instance to `names`.
pub fn deploy_all(
    scenario: &Scenario,
    chain: &mut Chain,
    contracts: &BTreeMap<String, LoadedContract>,
    names: &mut Names,
    audit: &mut SenderAudit,
) -> Result<Vec<Deployed>, ScenarioError> {
    let limit = scenario.file.block_gas_limit();
    let mut total: u128 = 0;
    for entry in &scenario.file.deploy {
        total += u128::from(entry.get_ref().gas.unwrap_or(DEFAULT_GAS));
        if total > u128::from(limit) {
            return Err(scenario.error(
                Some(entry.span().start),
                format!(
                    "deploy \"{}\": the deploys run as block 0, and their gas limits add up to {total} here, above block_gas_limit {limit} (a deploy's gas defaults to {DEFAULT_GAS})",
                    entry.get_ref().name
                ),
            ));
        }
    }
    let mut deployed = Vec::new();
    for entry in &scenario.file.deploy {
        let at = Some(entry.span().start);
        let spec = entry.get_ref();
        let place = format!("deploy \"{}\"", spec.name);
        let fail = |message: String| scenario.error(at, format!("{place}: {message}"));
        if spec.name.is_empty() || spec.name.starts_with('@') || spec.name.starts_with("0x") {
            return Err(fail(
                "an instance name must be a plain name (not empty, no `@`, no `0x`)".into(),
            ));
        }
        if names.instances.contains_key(&spec.name) {
            return Err(fail(format!(
                "an instance named \"{}\" is already deployed",
                spec.name
            )));
        }
        let contract = contracts.get(&spec.contract).ok_or_else(|| {
            let known: Vec<&str> = contracts.keys().map(String::as_str).collect();
            fail(format!(
                "unknown contract \"{}\" (compiled: {}); list its source file in `contracts`",
                spec.contract,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })?;
        let deployer = names
            .sender(&spec.sender)
            .map_err(|e| fail(format!("sender: {e}")))?;
        if is_raw_address(&spec.sender) {
            audit.raw.push(RawSender {
                addr: deployer,
                offset: entry.span().start,
                place: place.clone(),
            });
        }
        let module = &contract.module;
        let params: Vec<(String, ValueType)> = match module.init() {
            Some(i) => module.functions[i].params.clone(),
            None => Vec::new(),
        };
        let args = parse_args(
            &spec.args,
            Some(params.as_slice()),
            names,
            &format!("init of {}", spec.contract),
        )
        .map_err(fail)?;
        let block = BlockContext {
            number: 0,
            timestamp: scenario.file.genesis_timestamp,
        };
        let gas = spec.gas.unwrap_or(DEFAULT_GAS);
        let addr = chain
            .deploy(contract.code, deployer, args.clone(), block, gas)
            .map_err(|e| fail(format!("deployment of {} failed: {e}", spec.contract)))?;
        if let Some(i) = module.init() {
            audit
                .subs
                .record(&module.functions[i].access, &deployer, &addr, &args);
        }
        names.instances.insert(spec.name.clone(), addr);
        deployed.push(Deployed {
            name: spec.name.clone(),
            contract: spec.contract.clone(),
            address: addr,
        });
    }
    Ok(deployed)
}

/// The parameter lists of the events every loaded module declares, by name.
pub fn event_types(chain: &Chain) -> EventTypes {
    let mut types = EventTypes::new();
    for (_, verified) in chain.loaded_modules() {
        for event in &verified.module.events {
            let lists = types.entry(event.name.clone()).or_default();
            if !lists.contains(&event.params) {
                lists.push(event.params.clone());
            }
        }
    }
    // The chain's module order is its own; messages show the first list, so fix it.
    for lists in types.values_mut() {
        lists.sort_by_cached_key(|l| format!("{l:?}"));
    }
    types
}

/// Resolves every block: numbers, timestamps, transactions and checks.
pub fn plan_blocks(
    scenario: &Scenario,
    chain: &Chain,
    names: &Names,
    audit: &mut SenderAudit,
) -> Result<Vec<PlannedBlock>, ScenarioError> {
    let events = event_types(chain);
    let gas_limit = scenario.file.block_gas_limit();
    let mut blocks = Vec::new();
    let mut previous_number = 0u64;
    let mut previous_timestamp = scenario.file.genesis_timestamp;
    for entry in &scenario.file.block {
        let at = Some(entry.span().start);
        let spec = entry.get_ref();
        let number = match spec.number {
            Some(n) if n <= previous_number => {
                return Err(scenario.error(
                    at,
                    format!("block number {n} must be greater than the previous block's ({previous_number})"),
                ));
            }
            Some(n) => n,
            None => previous_number
                .checked_add(1)
                .ok_or_else(|| scenario.error(at, "block number overflows u64"))?,
        };
        let timestamp = spec.timestamp.unwrap_or(previous_timestamp);
        if timestamp < previous_timestamp {
            let previous = if blocks.is_empty() {
                "genesis_timestamp"
            } else {
                "the previous block's"
            };
            return Err(scenario.error(
                at,
                format!(
                    "block {number}: timestamp {timestamp} is before {previous} ({previous_timestamp}); timestamps never decrease"
                ),
            ));
        }
        let mut total_gas: u128 = 0;
        for tx in &spec.txs {
            total_gas += u128::from(tx.get_ref().gas.unwrap_or(DEFAULT_GAS));
            if total_gas > u128::from(gas_limit) {
                return Err(scenario.error(
                    Some(tx.span().start),
                    format!(
                        "block {number}: the transactions' gas limits add up to {total_gas} here, above block_gas_limit {gas_limit} (a transaction's gas defaults to {DEFAULT_GAS}); split the block or lower `gas`"
                    ),
                ));
            }
        }
        let mut txs = Vec::new();
        let mut tx_infos = Vec::new();
        for (index, tx) in spec.txs.iter().enumerate() {
            let t = tx.get_ref();
            let place = format!("block {number}, tx {index} ({}.{})", t.to, t.function);
            let call = CallSpec {
                sender: Some(&t.sender),
                to: &t.to,
                function: &t.function,
                args: &t.args,
                gas: t.gas,
                expect: t.expect.as_ref(),
                kind: CallKind::Tx,
                index,
            };
            let planned = plan_call(
                scenario,
                chain,
                names,
                &events,
                audit,
                &call,
                place,
                tx.span().start,
            )?;
            txs.push(planned.tx);
            tx_infos.push(planned.info);
        }
        let mut checks = Vec::new();
        for (index, check) in spec.check.iter().enumerate() {
            let c = check.get_ref();
            let place = format!("block {number}, check {index} ({}.{})", c.to, c.function);
            if let Some(gas) = c.gas
                && gas > gas_limit
            {
                return Err(scenario.error(
                    Some(check.span().start),
                    format!("{place}: gas {gas} is above block_gas_limit {gas_limit}"),
                ));
            }
            let expect = c.expectation();
            let call = CallSpec {
                sender: c.sender.as_ref(),
                to: &c.to,
                function: &c.function,
                args: &c.args,
                gas: c.gas,
                expect: Some(&expect),
                kind: CallKind::Check,
                index,
            };
            let planned = plan_call(
                scenario,
                chain,
                names,
                &events,
                audit,
                &call,
                place.clone(),
                check.span().start,
            )?;
            if planned.info.expect.is_empty() {
                return Err(scenario.error(
                    Some(check.span().start),
                    format!("{place}: a check needs `return`, `status`, `reason` or `message`"),
                ));
            }
            checks.push(planned);
        }
        blocks.push(PlannedBlock {
            number,
            timestamp,
            txs,
            tx_infos,
            checks,
        });
        previous_number = number;
        previous_timestamp = timestamp;
    }
    Ok(blocks)
}

/// The fields a transaction and a check share.
struct CallSpec<'a> {
    sender: Option<&'a String>,
    to: &'a str,
    function: &'a str,
    args: &'a [toml::Value],
    gas: Option<u64>,
    expect: Option<&'a ExpectSpec>,
    kind: CallKind,
    index: usize,
}

#[allow(clippy::too_many_arguments)]
fn plan_call(
    scenario: &Scenario,
    chain: &Chain,
    names: &Names,
    events: &EventTypes,
    audit: &mut SenderAudit,
    call: &CallSpec<'_>,
    place: String,
    offset: usize,
) -> Result<PlannedCall, ScenarioError> {
    let fail = |message: String| scenario.error(Some(offset), format!("{place}: {message}"));
    let sender = match call.sender {
        Some(s) => {
            let addr = names.sender(s).map_err(|e| fail(format!("sender: {e}")))?;
            if is_raw_address(s) {
                audit.raw.push(RawSender {
                    addr,
                    offset,
                    place: place.clone(),
                });
            }
            addr
        }
        None => [0u8; 20],
    };
    let (to, to_label) = resolve_target(call.to, names).map_err(|e| fail(format!("to: {e}")))?;
    let (args, ret_type) = match chain.module_at(&to) {
        Some(module) => {
            let func = public_function(module, call.function).map_err(&fail)?;
            let what = format!("{}.{}", module.name, func.name);
            let args =
                parse_args(call.args, Some(func.params.as_slice()), names, &what).map_err(&fail)?;
            audit.subs.record(&func.access, &sender, &to, &args);
            (args, Some(func.ret.clone()))
        }
        // No contract there: the VM answers `bad_call`; the arguments are passed untyped.
        None => (
            parse_args(call.args, None, names, call.function).map_err(&fail)?,
            None,
        ),
    };
    let expect = match call.expect {
        None => Expectation::default(),
        Some(spec) => Expectation::parse(spec, ret_type.as_ref(), names, events)
            .map_err(|e| fail(format!("expect: {e}")))?,
    };
    Ok(PlannedCall {
        tx: Transaction {
            sender,
            to,
            function: call.function.to_string(),
            args,
            gas_limit: call.gas.unwrap_or(DEFAULT_GAS),
        },
        info: CallInfo {
            function: call.function.to_string(),
            to_label,
            place,
            line_offset: offset,
            expect,
            kind: call.kind,
            index: call.index,
        },
    })
}

/// A `to` field: an instance name, `@name`, or a `0x` address.
fn resolve_target(to: &str, names: &Names) -> Result<(Address, String), String> {
    let label_of = |addr: &Address| {
        names
            .instances
            .iter()
            .find(|(_, a)| *a == addr)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| address_text(addr))
    };
    if to.starts_with('@') || to.starts_with("0x") {
        let addr = names.address(to)?;
        return Ok((addr, label_of(&addr)));
    }
    match names.instances.get(to) {
        Some(addr) => Ok((*addr, to.to_string())),
        None => {
            let known: Vec<&str> = names.instances.keys().map(String::as_str).collect();
            Err(format!(
                "unknown instance \"{to}\" (deployed: {}); to call an account's address write \"@{to}\"",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        }
    }
}

/// The public function `name` of a module.
fn public_function<'m>(
    module: &'m Module,
    name: &str,
) -> Result<&'m braid_bytecode::Function, String> {
    match module.public(name) {
        Some(i) => Ok(&module.functions[i]),
        None => {
            let known: BTreeSet<&str> = module
                .functions
                .iter()
                .filter(|f| f.visibility.is_pub())
                .map(|f| f.name.as_str())
                .collect();
            let known: Vec<&str> = known.into_iter().collect();
            Err(format!(
                "contract {} has no public function \"{name}\" (public: {})",
                module.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        }
    }
}

/// Parses arguments against parameters (`None`: untyped), checking the count.
fn parse_args(
    values: &[toml::Value],
    params: Option<&[(String, ValueType)]>,
    names: &Names,
    what: &str,
) -> Result<Vec<U256>, String> {
    let mut words = Vec::new();
    match params {
        Some(params) => {
            if values.len() != params.len() {
                let sig: Vec<String> = params
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", t.display()))
                    .collect();
                return Err(format!(
                    "{what} takes {} argument{} ({}), found {}",
                    params.len(),
                    if params.len() == 1 { "" } else { "s" },
                    sig.join(", "),
                    values.len()
                ));
            }
            for (i, (value, (_, ty))) in values.iter().zip(params).enumerate() {
                parse_typed(value, ty, names, &format!("args[{i}]"), &mut words)?;
            }
        }
        None => {
            for (i, value) in values.iter().enumerate() {
                parse_untyped(value, names, &format!("args[{i}]"), &mut words)?;
            }
        }
    }
    Ok(words)
}
