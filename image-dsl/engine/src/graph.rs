//! The build graph: images ordered by their parents, and the selection of images by pattern.

use std::collections::{BTreeSet, HashMap};

use super::spec::BuildSpec;

/// A set of specs that cannot be built as a graph.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Two specs have the same reference.
    #[error("{reference} is declared twice; give each image its own name:tag")]
    Duplicate {
        /// The reference.
        reference: String,
    },
    /// A parent is not among the specs.
    #[error(
        "{image} builds on {parent}, which is not in the catalog; declare it or fix the base reference"
    )]
    UnknownParent {
        /// The image.
        image: String,
        /// Its missing parent.
        parent: String,
    },
    /// The parents form a cycle.
    #[error("images build on each other in a cycle: {}; break the cycle in their declarations", .images.join(" -> "))]
    Cycle {
        /// The images on the cycle.
        images: Vec<String>,
    },
    /// A filter pattern matched no image.
    #[error(
        "no image matches `{pattern}`; run {} to see the names",
        crate::Fix::List
    )]
    NoMatch {
        /// The pattern.
        pattern: String,
    },
}

/// Specs in an order where every parent comes before its children.
#[derive(Debug)]
pub struct Graph {
    /// The specs, topologically sorted.
    pub specs: Vec<BuildSpec>,
    /// For each spec (by position), the positions of its parents.
    pub parents: Vec<Vec<usize>>,
    /// For each spec (by position), the positions of the specs that build on it.
    pub children: Vec<Vec<usize>>,
}

impl Graph {
    /// Orders `specs` by their parents; errors on duplicates, unknown parents and cycles.
    pub fn new(specs: Vec<BuildSpec>) -> Result<Graph, GraphError> {
        let index = index_of(&specs)?;
        for spec in &specs {
            for parent in &spec.parents {
                if !index.contains_key(parent.as_str()) {
                    return Err(GraphError::UnknownParent {
                        image: spec.reference.clone(),
                        parent: parent.clone(),
                    });
                }
            }
        }
        let order = topological_order(&specs, &index)?;
        let mut position = vec![0; specs.len()];
        for (new, old) in order.iter().enumerate() {
            position[*old] = new;
        }
        let mut slots: Vec<Option<BuildSpec>> = specs.into_iter().map(Some).collect();
        let specs: Vec<BuildSpec> = order
            .iter()
            .map(|&old| slots[old].take().unwrap_or_else(|| unreachable!()))
            .collect();
        let index = index_of(&specs)?;
        let parents: Vec<Vec<usize>> = specs
            .iter()
            .map(|spec| spec.parents.iter().map(|p| index[p.as_str()]).collect())
            .collect();
        let mut children = vec![Vec::new(); specs.len()];
        for (child, ps) in parents.iter().enumerate() {
            for &parent in ps {
                children[parent].push(child);
            }
        }
        Ok(Graph {
            specs,
            parents,
            children,
        })
    }

    /// Every spec that transitively builds on `at`, in order.
    pub fn descendants(&self, at: usize) -> Vec<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = self.children[at].clone();
        while let Some(next) = stack.pop() {
            if seen.insert(next) {
                stack.extend(&self.children[next]);
            }
        }
        seen.into_iter().collect()
    }
}

/// The specs matching any of `patterns` (`*` matches any run of characters) plus everything they
/// build on; all specs when `patterns` is empty.
pub fn select(specs: Vec<BuildSpec>, patterns: &[String]) -> Result<Vec<BuildSpec>, GraphError> {
    if patterns.is_empty() {
        return Ok(specs);
    }
    let index = index_of(&specs)?;
    let mut wanted = BTreeSet::new();
    for pattern in patterns {
        let matched: Vec<usize> = (0..specs.len())
            .filter(|&i| glob_match(pattern, &specs[i].reference))
            .collect();
        if matched.is_empty() {
            return Err(GraphError::NoMatch {
                pattern: pattern.clone(),
            });
        }
        let mut stack = matched;
        while let Some(i) = stack.pop() {
            if wanted.insert(i) {
                for parent in &specs[i].parents {
                    let Some(&p) = index.get(parent.as_str()) else {
                        return Err(GraphError::UnknownParent {
                            image: specs[i].reference.clone(),
                            parent: parent.clone(),
                        });
                    };
                    stack.push(p);
                }
            }
        }
    }
    Ok(specs
        .into_iter()
        .enumerate()
        .filter(|(i, _)| wanted.contains(i))
        .map(|(_, s)| s)
        .collect())
}

/// The references of `specs` that match any of `patterns`, in their order; all when `patterns`
/// is empty. Unlike [`select`], not what they build on.
pub fn matching(specs: &[BuildSpec], patterns: &[String]) -> Result<Vec<String>, GraphError> {
    for pattern in patterns {
        if !specs.iter().any(|s| glob_match(pattern, &s.reference)) {
            return Err(GraphError::NoMatch {
                pattern: pattern.clone(),
            });
        }
    }
    Ok(specs
        .iter()
        .filter(|s| patterns.is_empty() || patterns.iter().any(|p| glob_match(p, &s.reference)))
        .map(|s| s.reference.clone())
        .collect())
}

fn index_of(specs: &[BuildSpec]) -> Result<HashMap<&str, usize>, GraphError> {
    let mut index = HashMap::new();
    for (i, spec) in specs.iter().enumerate() {
        if index.insert(spec.reference.as_str(), i).is_some() {
            return Err(GraphError::Duplicate {
                reference: spec.reference.clone(),
            });
        }
    }
    Ok(index)
}

/// Depth-first order, parents first, keeping declaration order among independent images.
fn topological_order(
    specs: &[BuildSpec],
    index: &HashMap<&str, usize>,
) -> Result<Vec<usize>, GraphError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    fn visit(
        at: usize,
        specs: &[BuildSpec],
        index: &HashMap<&str, usize>,
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), GraphError> {
        match marks[at] {
            Mark::Done => return Ok(()),
            Mark::Visiting => {
                let start = path.iter().position(|&p| p == at).unwrap_or(0);
                let mut images: Vec<String> = path[start..]
                    .iter()
                    .map(|&p| specs[p].reference.clone())
                    .collect();
                images.push(specs[at].reference.clone());
                return Err(GraphError::Cycle { images });
            }
            Mark::New => {}
        }
        marks[at] = Mark::Visiting;
        path.push(at);
        for parent in &specs[at].parents {
            visit(index[parent.as_str()], specs, index, marks, path, order)?;
        }
        path.pop();
        marks[at] = Mark::Done;
        order.push(at);
        Ok(())
    }
    let mut marks = vec![Mark::New; specs.len()];
    let mut order = Vec::with_capacity(specs.len());
    for at in 0..specs.len() {
        visit(at, specs, index, &mut marks, &mut Vec::new(), &mut order)?;
    }
    Ok(order)
}

/// `*` matches any run of characters, everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(reference: &str, parents: &[&str]) -> BuildSpec {
        BuildSpec::bare(reference, "", parents)
    }

    #[test]
    fn parents_come_first_and_children_are_known() {
        let graph = Graph::new(vec![
            spec("c:1", &["b:1"]),
            spec("b:1", &["a:1"]),
            spec("a:1", &[]),
            spec("x:1", &[]),
        ])
        .unwrap();
        let order: Vec<&str> = graph.specs.iter().map(|s| s.reference.as_str()).collect();
        assert_eq!(order, ["a:1", "b:1", "c:1", "x:1"]);
        assert_eq!(graph.descendants(0), [1, 2]);
    }

    #[test]
    fn cycles_and_unknown_parents_are_errors() {
        let cycle = Graph::new(vec![spec("a:1", &["b:1"]), spec("b:1", &["a:1"])]).unwrap_err();
        assert!(cycle.to_string().contains("a:1 -> b:1 -> a:1"), "{cycle}");
        assert!(matches!(
            Graph::new(vec![spec("a:1", &["z:1"])]),
            Err(GraphError::UnknownParent { .. })
        ));
    }

    #[test]
    fn selection_pulls_in_what_the_matches_build_on() {
        let specs = vec![
            spec("base:1", &[]),
            spec("spark-4.1.0:py", &["base:1"]),
            spec("spark-3.5.7:py", &["base:1"]),
        ];
        let picked = select(specs, &["spark-4.1.*".into()]).unwrap();
        let names: Vec<&str> = picked.iter().map(|s| s.reference.as_str()).collect();
        assert_eq!(names, ["base:1", "spark-4.1.0:py"]);
        assert!(glob_match("spark-*:iceberg", "spark-3.5.7:iceberg"));
        assert!(!glob_match("spark-*:iceberg", "spark-3.5.7:delta"));
    }
}
