//! `[[combiner]]`: how members' predictions are combined, and which members.

use consort_core::{ConsortError, Result};
use serde::{Deserialize, Serialize};

/// How a combiner merges its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CombinerKind {
    /// Mean probability.
    SoftVote,
    /// Majority of predicted classes.
    HardVote,
    /// Plain average of probabilities (as soft vote, reported apart for sub-groups).
    Average,
    /// Average with weights fitted on out-of-fold log-loss.
    WeightedAverage,
    /// Logistic-regression meta-learner on out-of-fold probabilities.
    Stacking,
    /// The cheap member first; the best expensive member (out of fold) on the rest, with a
    /// threshold calibrated on out-of-fold probabilities.
    Cascade,
}

impl CombinerKind {
    /// Its name in reports and TOML.
    pub fn label(self) -> &'static str {
        match self {
            Self::SoftVote => "soft vote",
            Self::HardVote => "hard vote",
            Self::Average => "average",
            Self::WeightedAverage => "weighted average",
            Self::Stacking => "stacking",
            Self::Cascade => "cascade",
        }
    }

    /// Whether it learns from out-of-fold predictions.
    pub fn learns_out_of_fold(self) -> bool {
        matches!(self, Self::WeightedAverage | Self::Stacking | Self::Cascade)
    }
}

/// Which members a combiner takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MembersEntry", into = "MembersEntry")]
pub enum MemberSet {
    /// Every member.
    All,
    /// The networks.
    Large,
    /// The classical models.
    Small,
    /// Members by name.
    Named(Vec<String>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum MembersEntry {
    Group(String),
    Names(Vec<String>),
}

impl TryFrom<MembersEntry> for MemberSet {
    type Error = String;
    fn try_from(e: MembersEntry) -> std::result::Result<Self, String> {
        match e {
            MembersEntry::Group(g) => match g.as_str() {
                "all" => Ok(Self::All),
                "large" => Ok(Self::Large),
                "small" => Ok(Self::Small),
                other => Err(format!(
                    "members = {other:?}: expected \"all\", \"large\", \"small\" or a list of \
                     member names"
                )),
            },
            MembersEntry::Names(n) if n.is_empty() => Err("members = []: name at least one".into()),
            MembersEntry::Names(n) => Ok(Self::Named(n)),
        }
    }
}

impl From<MemberSet> for MembersEntry {
    fn from(m: MemberSet) -> Self {
        match m {
            MemberSet::All => Self::Group("all".into()),
            MemberSet::Large => Self::Group("large".into()),
            MemberSet::Small => Self::Group("small".into()),
            MemberSet::Named(n) => Self::Names(n),
        }
    }
}

impl MemberSet {
    fn label(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Large => "networks".into(),
            Self::Small => "small models".into(),
            Self::Named(n) => n.join(", "),
        }
    }
}

/// One combiner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinerSpec {
    /// How it combines.
    pub kind: CombinerKind,
    /// Display name (default: from the kind and members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Which members it takes.
    #[serde(default = "all_members")]
    pub members: MemberSet,
    /// Cascade only: accuracy the cascade may give up against its expensive member, out of
    /// fold (default 0.005).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Stacking only: the meta-learner also sees the features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough: Option<bool>,
}

fn all_members() -> MemberSet {
    MemberSet::All
}

impl CombinerSpec {
    /// A combiner of `kind` over `members`, named by default.
    pub fn new(kind: CombinerKind, members: MemberSet) -> Self {
        Self {
            kind,
            name: None,
            members,
            tolerance: None,
            passthrough: None,
        }
    }

    /// Its display name: given, or the kind and members ("soft vote (all)").
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| match self.kind {
            CombinerKind::Stacking => format!("stacking ({}, logistic meta)", self.members.label()),
            k => format!("{} ({})", k.label(), self.members.label()),
        })
    }

    pub(super) fn check(&self) -> Result<()> {
        if self.tolerance.is_some() && self.kind != CombinerKind::Cascade {
            return Err(ConsortError::config(format!(
                "combiner {:?}: `tolerance` applies to a cascade only",
                self.display_name()
            )));
        }
        if let Some(t) = self.tolerance
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(ConsortError::config(format!(
                "combiner {:?}: tolerance must be >= 0, got {t}",
                self.display_name()
            )));
        }
        if self.passthrough.is_some() && self.kind != CombinerKind::Stacking {
            return Err(ConsortError::config(format!(
                "combiner {:?}: `passthrough` applies to stacking only",
                self.display_name()
            )));
        }
        Ok(())
    }
}
